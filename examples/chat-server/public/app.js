// The Lucky IM web chat: plain ES modules, no framework, built on @lucky-im/client.
import { createImClient, createLocalStorageCursorStore } from "/client.js";

const $ = (id) => document.getElementById(id);
const RECALL_WINDOW_MS = 120_000;
/** The server's default edit window (`editWindowMs`); the server refuses later edits anyway. */
const EDIT_WINDOW_MS = 900_000;
/** The reactions offered under each message. */
const QUICK_REACTIONS = ["👍", "❤️", "😂"];
const PAGE = 30;
/** Closer than this to the bottom, a new message keeps the view at the bottom. */
const STICK_PX = 80;

const state = {
  auth: JSON.parse(sessionStorage.getItem("lucky-im.auth") || "null"),
  client: null,
  conversations: new Map(), // conversationId -> summary {conversationId, lastSeq, readSeq, unread, lastMessage, title}
  names: new Map(), // userId -> username
  profiles: new Map(), // userId -> {displayName, avatar}
  presence: new Map(), // userId -> {online, lastSeen}
  watched: "", // the user ids sent in the last presence_subscribe, joined
  groups: new Map(), // groupId -> group
  receipts: new Map(), // conversationId -> {read, delivered}: the highest seqs others reached
  active: null, // conversationId
  messages: [], // of the active conversation, ascending seq
  more: false,
  typingTimer: 0,
  lastTypingSent: 0,
  reactions: new Map(), // messageId -> Map(key -> {count, mine})
  compose: null, // {mode: "reply" | "edit", message} while replying to or editing a message
  pins: [], // of the active conversation: [{messageId, seq, pinnedBy, pinnedAt}]
  forwarding: null, // the message the forward dialog is open for
  fileAccess: "link", // GET /page-settings: "members" loads files of conversations by signed URLs
  fileGrants: new Map(), // fileId -> {promise of the signed url, expiresAt} (members mode)
};

// ------------------------------------------------------------------ HTTP

async function api(method, path, body, { raw = false, contentType, retry = true } = {}) {
  const headers = {};
  if (state.auth) headers.authorization = `Bearer ${state.auth.accessToken}`;
  let payload;
  if (raw) {
    payload = body;
    headers["content-type"] = contentType || "application/octet-stream";
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] = "application/json";
  }
  const response = await fetch(path, { method, headers, body: payload });
  if (response.status === 401 && retry && state.auth && !path.startsWith("/auth/")) {
    await refreshTokens();
    return api(method, path, body, { raw, contentType, retry: false });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(data?.error?.message || `HTTP ${response.status}`);
    error.code = data?.error?.code;
    throw error;
  }
  return data;
}

function saveAuth(auth) {
  state.auth = auth;
  if (auth) sessionStorage.setItem("lucky-im.auth", JSON.stringify(auth));
  else sessionStorage.removeItem("lucky-im.auth");
}

let refreshing = null;
function refreshTokens() {
  refreshing ??= api(
    "POST",
    "/auth/refresh",
    { refreshToken: state.auth.refreshToken },
    { retry: false },
  )
    .then((tokens) =>
      saveAuth({ ...state.auth, ...tokens, expiresAt: Date.now() + tokens.expiresIn * 1000 }),
    )
    .catch((error) => {
      forget();
      throw error;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

// ------------------------------------------------------------------ encrypted password (compact JWE)

const utf8 = (text) => new TextEncoder().encode(text);
function b64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Encrypts the password to the server's RSA-OAEP-256 key as a compact JWE (A256GCM), with WebCrypto. */
async function encryptPassword(password) {
  const jwk = await api("GET", "/auth/public-key");
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RSA-OAEP-256", ext: true },
    { name: "RSA-OAEP", hash: "SHA-256" },
    false,
    ["encrypt"],
  );
  const header = b64url(
    utf8(JSON.stringify({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: jwk.kid })),
  );
  const cek = crypto.getRandomValues(new Uint8Array(32));
  const encryptedKey = new Uint8Array(await crypto.subtle.encrypt({ name: "RSA-OAEP" }, key, cek));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const aes = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["encrypt"]);
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: utf8(header), tagLength: 128 },
      aes,
      utf8(password),
    ),
  );
  const ciphertext = sealed.slice(0, -16);
  const tag = sealed.slice(-16);
  return [header, b64url(encryptedKey), b64url(iv), b64url(ciphertext), b64url(tag)].join(".");
}

async function login(username, password) {
  // WebCrypto exists only in secure contexts (https or localhost): elsewhere send it plain over TLS.
  const credentials = globalThis.crypto?.subtle
    ? { username, passwordJwe: await encryptPassword(password) }
    : { username, password };
  const tokens = await api("POST", "/auth/login", credentials, { retry: false });
  saveAuth({ ...tokens, username, expiresAt: Date.now() + tokens.expiresIn * 1000 });
}

/** Leaves this tab signed out (the server already refused the tokens, or was told). */
function forget() {
  saveAuth(null);
  state.client?.close();
  location.reload();
}

/** Logs this device (or, `everywhere`, every device) out on the server, then here. */
async function logout({ everywhere = false } = {}) {
  try {
    if (everywhere) {
      if (state.auth.expiresAt - Date.now() < 30_000) await refreshTokens();
      await api("POST", "/auth/logout-all", undefined, { retry: false });
    } else {
      await disablePush();
      // The refresh token is the session: no access token needed.
      await api(
        "POST",
        "/auth/logout",
        { refreshToken: state.auth.refreshToken },
        { retry: false },
      );
    }
  } catch (error) {
    if (everywhere) {
      showError(error);
      return;
    }
    // Logging this tab out must not depend on the server answering.
  }
  forget();
}

/** Changes the password; this tab keeps going with the new tokens, the other devices are out. */
async function changePassword(currentPassword, newPassword) {
  if (state.auth.expiresAt - Date.now() < 30_000) await refreshTokens();
  const tokens = await api(
    "POST",
    "/auth/password",
    { currentPassword, newPassword },
    { retry: false },
  );
  saveAuth({ ...state.auth, ...tokens, expiresAt: Date.now() + tokens.expiresIn * 1000 });
}

// ------------------------------------------------------------------ names, titles, receipts

async function nameOf(userId) {
  if (state.names.has(userId)) return state.names.get(userId);
  try {
    const user = await api("GET", `/users/${encodeURIComponent(userId)}`);
    state.names.set(userId, user.username);
    return user.username;
  } catch {
    return userId;
  }
}

/** The name to show: the display name when the user set one, else the username. */
async function displayNameOf(userId) {
  const username = await nameOf(userId);
  return state.profiles.get(userId)?.displayName || username;
}

/** Reads the profiles of users not known yet (display name, avatar), 100 at a time. */
async function loadProfiles(userIds) {
  const missing = [...new Set(userIds)].filter((id) => !state.profiles.has(id));
  for (let i = 0; i < missing.length; i += 100) {
    const ids = missing
      .slice(i, i + 100)
      .map(encodeURIComponent)
      .join(",");
    try {
      for (const profile of await api("GET", `/profiles?ids=${ids}`)) {
        state.profiles.set(profile.userId, profile);
      }
    } catch {
      // Names fall back to usernames.
    }
  }
}

const isGroup = (conversationId) => conversationId.startsWith("g:");

async function titleOf(conversationId) {
  if (isGroup(conversationId)) {
    const groupId = conversationId.slice(2);
    if (!state.groups.has(groupId)) {
      try {
        state.groups.set(groupId, await api("GET", `/groups/${encodeURIComponent(groupId)}`));
      } catch {
        return `Group ${groupId}`;
      }
    }
    return state.groups.get(groupId).name;
  }
  return displayNameOf(targetOf(conversationId).id);
}

/** "online", "last seen 14:02", or "" (unknown or hidden). */
function presenceText(userId) {
  const presence = state.presence.get(userId);
  if (!presence) return "";
  if (presence.online) return "online";
  return presence.lastSeen ? `last seen ${formatTime(presence.lastSeen)}` : "offline";
}

/** Watches the presence of every direct-conversation partner (sent again only when the list changed). */
function watchPresence() {
  // Only conversations with a message: before it, the server does not let us watch a stranger.
  const ids = [...state.conversations.values()]
    .filter((c) => !isGroup(c.conversationId) && (c.lastMessage || c.lastSeq > 0))
    .map((c) => targetOf(c.conversationId).id)
    .sort();
  const key = ids.join(",");
  if (!state.client || key === state.watched) return;
  state.watched = key;
  state.client.subscribePresence(ids);
}

/** Muted now: until a later time, or for ever. */
function isMuted(settings) {
  const until = settings?.mutedUntil;
  return until === "forever" || (typeof until === "number" && until > Date.now());
}

function targetOf(conversationId) {
  if (isGroup(conversationId)) return { type: "group", id: conversationId.slice(2) };
  const [, a, b] = conversationId.split(":");
  return { type: "user", id: a === state.auth.userId ? b : a };
}

function directId(a, b) {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

/**
 * What others reached in a conversation: `GET /conversations` gives it (`peerReadSeq`,
 * `peerDeliveredSeq`, so a new device knows it too) and `receipt` frames raise it.
 */
function receiptsOf(conversationId) {
  let receipts = state.receipts.get(conversationId);
  if (!receipts) {
    receipts = { read: 0, delivered: 0 };
    state.receipts.set(conversationId, receipts);
  }
  return receipts;
}

// ------------------------------------------------------------------ formatting

function preview(message) {
  if (!message) return "";
  if (message.recalled) return "message recalled";
  const body = message.body;
  if (body.type === "text") return message.forwarded ? `Forwarded: ${body.text}` : body.text;
  if (body.type === "location") return "Location";
  if (body.type === "custom") return "Custom message";
  const kind = { image: "Image", voice: "Voice", video: "Video" }[body.type] ?? "File";
  return `${kind}: ${body.name}`;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A duration in ms as "m:ss" ("h:mm:ss" from an hour); a positive one shows at least "0:01". */
function formatDuration(ms) {
  const total = ms > 0 ? Math.max(1, Math.round(ms / 1000)) : 0;
  const seconds = String(total % 60).padStart(2, "0");
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  return hours > 0
    ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}`
    : `${minutes}:${seconds}`;
}

function formatTime(ts) {
  const date = new Date(ts);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleDateString([], { month: "short", day: "numeric" });
}

// ------------------------------------------------------------------ file URLs (members mode)

/** A signed URL is asked for again this long before it expires. */
const FILE_URL_MARGIN_MS = 30_000;

/** The id of a `/files/<id>` URL, or null. */
function fileIdOf(url) {
  return /^\/files\/([^/?#]+)$/.exec(url ?? "")?.[1] ?? null;
}

/**
 * A URL of the file that works without a token: with `LUCKY_IM_FILE_ACCESS=members`, a signed
 * one from `GET /files/:fileId/url` (cached until shortly before it expires; `fresh` asks
 * anew), else the URL itself.
 */
function fileUrl(url, fresh = false) {
  const fileId = fileIdOf(url);
  if (state.fileAccess !== "members" || !fileId) return Promise.resolve(url);
  const cached = state.fileGrants.get(fileId);
  if (
    !fresh &&
    cached &&
    (cached.expiresAt == null || cached.expiresAt - FILE_URL_MARGIN_MS > Date.now())
  ) {
    return cached.promise;
  }
  const grant = { expiresAt: undefined };
  grant.promise = api("GET", `/files/${encodeURIComponent(fileId)}/url`).then(
    (answer) => {
      grant.expiresAt = answer.expiresAt;
      return answer.url;
    },
    (error) => {
      if (state.fileGrants.get(fileId) === grant) state.fileGrants.delete(fileId);
      throw error;
    },
  );
  state.fileGrants.set(fileId, grant);
  return grant.promise;
}

/**
 * Points `element[attribute]` (`src` of an img/audio/video, `href` of a link) at a file. In
 * members mode the signed URL is fetched first; an element that fails to load (its URL
 * expired on a long-open page) gets a fresh one once per successful load, and a link is
 * refreshed when the pointer or focus comes to it.
 */
function showFile(element, attribute, url) {
  if (state.fileAccess !== "members" || !fileIdOf(url)) {
    element[attribute] = url;
    return;
  }
  const point = (fresh) =>
    fileUrl(url, fresh).then(
      (signed) => {
        if (element[attribute] === new URL(signed, location.href).href) return;
        const position = element.currentTime;
        element[attribute] = signed;
        // A player that reloads its source keeps its place.
        if (position)
          element.addEventListener("loadedmetadata", () => (element.currentTime = position), {
            once: true,
          });
      },
      (error) => console.warn("no signed URL for", url, error),
    );
  if (attribute === "href") {
    const refresh = () => void point(false);
    element.addEventListener("pointerenter", refresh);
    element.addEventListener("focus", refresh);
  } else {
    let retried = false;
    element.addEventListener("error", () => {
      if (retried) return;
      retried = true;
      void point(true);
    });
    element.addEventListener(element.tagName === "IMG" ? "load" : "loadedmetadata", () => {
      retried = false;
    });
  }
  void point(false);
}

/** Reads the settings the page adapts to (`GET /page-settings`); link mode when unknown. */
async function loadPageSettings() {
  try {
    const response = await fetch("/page-settings");
    if (response.ok) state.fileAccess = (await response.json()).fileAccess ?? "link";
  } catch {
    // An older server: files are capability URLs.
  }
}

/** A round avatar with the initials of `title`, its colour derived from `key`. */
function avatar(title, key, url) {
  const span = document.createElement("span");
  span.className = "avatar";
  if (url) {
    const img = document.createElement("img");
    img.src = url;
    img.alt = "";
    span.append(img);
    return span;
  }
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  span.style.background = `hsl(${hash % 360} 55% 45%)`;
  span.textContent = (title.match(/[\p{L}\p{N}]/gu) ?? ["?"]).slice(0, 2).join("").toUpperCase();
  return span;
}

// ------------------------------------------------------------------ conversation list

function summaryOf(conversationId) {
  let summary = state.conversations.get(conversationId);
  if (!summary) {
    summary = { conversationId, lastSeq: 0, readSeq: 0, unread: 0, lastMessage: null };
    state.conversations.set(conversationId, summary);
  }
  return summary;
}

async function loadConversations() {
  const list = await api("GET", "/conversations");
  await loadProfiles(
    list.filter((c) => !isGroup(c.conversationId)).map((c) => targetOf(c.conversationId).id),
  );
  for (const fresh of list) {
    const receipts = receiptsOf(fresh.conversationId);
    receipts.read = Math.max(receipts.read, fresh.peerReadSeq ?? 0);
    receipts.delivered = Math.max(receipts.delivered, fresh.peerDeliveredSeq ?? 0);
    const known = state.conversations.get(fresh.conversationId);
    // A message pushed after the server made this list is counted already: keep the newer view.
    if (known && known.lastSeq > fresh.lastSeq) continue;
    state.conversations.set(fresh.conversationId, {
      ...known,
      ...fresh,
      unread: fresh.conversationId === state.active ? 0 : fresh.unread,
    });
  }
  watchPresence();
  await renderConversations();
}

let renderingList = Promise.resolve();
/** Renders the list; renders are queued so that a slow title lookup cannot reorder them. */
function renderConversations() {
  renderingList = renderingList.then(drawConversations, drawConversations);
  return renderingList;
}

async function drawConversations() {
  // A conversation that appeared since (a first message): watch its user too.
  watchPresence();
  const items = [...state.conversations.values()];
  await Promise.all(
    items.map(async (c) => {
      c.title ??= await titleOf(c.conversationId);
    }),
  );
  // As the server lists them: pinned first (newest pin first), archived last, then by activity.
  const rank = (c) => (c.settings?.pinnedAt ? 0 : c.settings?.archived ? 2 : 1);
  items.sort(
    (x, y) =>
      rank(x) - rank(y) ||
      (y.settings?.pinnedAt ?? 0) - (x.settings?.pinnedAt ?? 0) ||
      (y.lastMessage?.ts ?? y.createdAt ?? 0) - (x.lastMessage?.ts ?? x.createdAt ?? 0),
  );
  const rows = items.map((c) => {
    const li = document.createElement("li");
    li.dataset.conversationId = c.conversationId;
    if (c.conversationId === state.active) li.className = "active";
    const text = document.createElement("div");
    text.className = "summary";
    const title = document.createElement("div");
    title.className = "title";
    const name = document.createElement("strong");
    name.textContent = c.title;
    title.append(name);
    const peer = isGroup(c.conversationId) ? undefined : targetOf(c.conversationId).id;
    const username = peer ? state.names.get(peer) : undefined;
    if (username && username !== c.title) {
      const handle = document.createElement("small");
      handle.className = "handle";
      handle.textContent = `@${username}`;
      title.append(handle);
    }
    if (c.settings?.pinnedAt) {
      li.dataset.pinned = "true";
      title.append(
        Object.assign(document.createElement("span"), {
          className: "flag pin",
          title: "Pinned",
          textContent: "📌",
        }),
      );
    }
    if (isMuted(c.settings)) {
      li.dataset.muted = "true";
      title.append(
        Object.assign(document.createElement("span"), {
          className: "flag muted",
          title: "Muted",
          textContent: "🔕",
        }),
      );
    }
    if (c.settings?.archived) li.classList.add("archived");
    if (c.lastMessage) {
      const time = document.createElement("time");
      time.textContent = formatTime(c.lastMessage.ts);
      title.append(time);
    }
    const last = document.createElement("div");
    last.className = "preview";
    last.textContent = c.lastMessage
      ? preview(c.lastMessage)
      : isGroup(c.conversationId)
        ? "New group"
        : "No messages yet";
    text.append(title, last);
    const face = avatar(
      c.title,
      c.conversationId,
      peer ? state.profiles.get(peer)?.avatar : state.groups.get(c.conversationId.slice(2))?.avatar,
    );
    if (peer) {
      const online = state.presence.get(peer)?.online === true;
      li.dataset.online = String(online);
      const dot = document.createElement("span");
      dot.className = online ? "presence-dot online" : "presence-dot";
      dot.title = presenceText(peer) || "offline";
      face.append(dot);
    }
    li.append(face, text);
    if (c.unread > 0 && c.conversationId !== state.active) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = c.unread > 99 ? "99+" : String(c.unread);
      li.append(badge);
    }
    if (c.mentions > 0 && c.conversationId !== state.active) {
      const badge = document.createElement("span");
      badge.className = "unread mention-badge";
      badge.title = "You were mentioned";
      badge.textContent = "@";
      li.append(badge);
    }
    li.onclick = () => void openConversation(c.conversationId).catch(showError);
    return li;
  });
  $("conversations").replaceChildren(...rows);
  $("no-conversations").hidden = rows.length > 0;
}

// ------------------------------------------------------------------ the chat view

/** The active conversation's presence line and its pin / mute / archive buttons. */
function renderHeader() {
  const conversationId = state.active;
  $("conversation-actions").hidden = !conversationId;
  if (!conversationId) {
    $("conversation-presence").textContent = "";
    return;
  }
  const summary = summaryOf(conversationId);
  if (isGroup(conversationId)) {
    $("conversation-presence").textContent = "";
  } else {
    const peer = targetOf(conversationId).id;
    const username = state.names.get(peer);
    const parts = [
      username && username !== summary.title ? `@${username}` : "",
      presenceText(peer),
    ];
    $("conversation-presence").textContent = parts.filter(Boolean).join(" · ");
  }
  const settings = summary.settings ?? {};
  $("pin-button").textContent = settings.pinnedAt ? "Unpin" : "Pin";
  $("mute-button").textContent = isMuted(settings) ? "Unmute" : "Mute";
  $("archive-button").textContent = settings.archived ? "Unarchive" : "Archive";
}

/** Changes the active conversation's settings; the other devices get them as a frame. */
async function changeSettings(patch) {
  const conversationId = state.active;
  if (!conversationId) return;
  const settings = await api(
    "PUT",
    `/conversations/${encodeURIComponent(conversationId)}/settings`,
    patch,
  );
  applySettings(settings);
}

function applySettings(settings) {
  const known = state.conversations.get(settings.conversationId);
  if (!known) return;
  known.settings = settings;
  if (settings.conversationId === state.active) renderHeader();
  void renderConversations();
}

async function openConversation(conversationId) {
  state.active = conversationId;
  state.messages = [];
  state.more = false;
  state.pins = [];
  setCompose(null);
  showPinsPanel(false);
  const summary = summaryOf(conversationId);
  $("conversation-title").textContent = summary.title ?? (await titleOf(conversationId));
  if (isGroup(conversationId)) await titleOf(conversationId);
  renderAnnouncementBanner();
  $("conversation").dataset.open = "true";
  $("composer").hidden = false;
  $("add-members").hidden = !isGroup(conversationId);
  showGroupPanel(false);
  $("group-info-button").hidden = !isGroup(conversationId);
  $("typing").textContent = "";
  renderHeader();
  renderMessages("bottom");
  void renderConversations();
  await loadOlder();
  if (conversationId !== state.active) return;
  void loadPins().catch(showError);
  summary.mentions = 0;
  markRead();
  await renderConversations();
  $("text").focus();
}

async function loadOlder() {
  const conversationId = state.active;
  const oldest = state.messages.find((m) => !m.pending)?.seq;
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (oldest !== undefined) query.set("beforeSeq", String(oldest));
  const page = await api(
    "GET",
    `/conversations/${encodeURIComponent(conversationId)}/messages?${query}`,
  );
  if (conversationId !== state.active) return;
  await Promise.all([...new Set(page.messages.map((m) => m.from))].map(nameOf));
  if (conversationId !== state.active) return;
  const known = new Set(state.messages.map((m) => m.messageId));
  const older = page.messages.filter((m) => !known.has(m.messageId)).reverse();
  // The page's reactions are the current counts of its messages.
  for (const m of page.messages) state.reactions.delete(m.messageId);
  for (const r of page.reactions ?? [])
    reactionsOf(r.messageId).set(r.key, { count: r.count, mine: r.mine });
  state.messages = [...older, ...state.messages];
  state.more = page.more;
  renderMessages(oldest === undefined ? "bottom" : "keep");
}

function addMessage(message) {
  if (state.messages.some((m) => m.messageId === message.messageId)) return;
  state.messages.push(message);
  state.messages.sort((x, y) => x.seq - y.seq);
  renderMessages(message.from === state.auth.userId ? "bottom" : "stick");
}

function statusOf(message) {
  if (message.from !== state.auth.userId || message.recalled) return "";
  if (message.pending) return "sending…";
  const receipts = receiptsOf(message.conversationId);
  if (receipts.read >= message.seq) return "read";
  if (receipts.delivered >= message.seq) return "delivered";
  return "sent";
}

function renderBody(message) {
  const body = message.body;
  if (message.recalled) return document.createTextNode("message recalled");
  if (body.type === "text") {
    const span = document.createElement("span");
    span.className = "text";
    span.append(...mentionNodes(body.text, message.mentions));
    return span;
  }
  if (body.type === "image") {
    const link = document.createElement("a");
    showFile(link, "href", body.url);
    link.target = "_blank";
    link.rel = "noopener";
    const img = document.createElement("img");
    // The thumbnail in the list; the link opens the full image.
    showFile(img, "src", body.thumbnailUrl ?? body.url);
    img.alt = body.name;
    img.loading = "lazy";
    link.append(img);
    return link;
  }
  if (body.type === "location") {
    return document.createTextNode(`Location: ${body.label ?? ""} ${body.lat}, ${body.lng}`);
  }
  if (body.type === "custom") return document.createTextNode(JSON.stringify(body.data));
  if (body.type === "voice" || body.type === "video") {
    // The server answers Range requests: the player seeks without loading the whole file.
    const player = document.createElement(body.type === "voice" ? "audio" : "video");
    player.controls = true;
    player.preload = "metadata";
    showFile(player, "src", body.url);
    player.className = "player";
    const wrap = document.createElement("span");
    wrap.className = "media";
    // The duration the server read at upload: shown before the player loads anything.
    if (Number.isInteger(body.durationMs)) {
      const row = document.createElement("span");
      row.className = "player-row";
      const duration = document.createElement("small");
      duration.className = "duration";
      duration.textContent = formatDuration(body.durationMs);
      row.append(player, duration);
      wrap.append(row, attachmentLink(body));
    } else {
      wrap.append(player, attachmentLink(body));
    }
    return wrap;
  }
  return attachmentLink(body);
}

/** The `@name`s of a text that name a mentioned user (or `@all`) as highlighted marks. */
function mentionNodes(text, mentions) {
  if (!mentions?.length) return [text];
  const names = new Set(
    mentions.map((id) => (id === "all" ? "all" : (state.names.get(id) ?? id).toLowerCase())),
  );
  return text.split(/(@[\p{L}\p{N}_.-]+)/u).map((part) => {
    if (!part.startsWith("@") || !names.has(part.slice(1).toLowerCase())) return part;
    const mark = document.createElement("mark");
    mark.className = "mention";
    mark.textContent = part;
    return mark;
  });
}

/** Whether a message mentions the user (by id, or `all`). */
function mentionsMe(message) {
  return (message.mentions ?? []).some((id) => id === state.auth.userId || id === "all");
}

/** A reply's quote: who and what it quotes; a click shows the quoted message. */
function renderQuote(reply) {
  const quote = document.createElement("button");
  quote.type = "button";
  quote.className = "quote";
  const who = document.createElement("strong");
  who.textContent = state.names.get(reply.from) ?? reply.from;
  const what = document.createElement("span");
  what.textContent = reply.recalled ? "message recalled" : reply.excerpt;
  quote.append(who, what);
  quote.title = "Show the quoted message";
  quote.onclick = () => {
    const target = $("messages").querySelector(
      `li[data-message-id="${CSS.escape(reply.messageId)}"]`,
    );
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    target.classList.add("flash");
    setTimeout(() => target.classList.remove("flash"), 1200);
  };
  return quote;
}

/** The reactions of a message (created empty). */
function reactionsOf(messageId) {
  let reactions = state.reactions.get(messageId);
  if (!reactions) {
    reactions = new Map();
    state.reactions.set(messageId, reactions);
  }
  return reactions;
}

/** Adds or removes the user's reaction; the counts change when the server's `change` comes. */
function toggleReaction(message, key) {
  const mine = state.reactions.get(message.messageId)?.get(key)?.mine === true;
  state.client.react(message.messageId, key, { remove: mine }).catch(showError);
}

/** The reaction counts of a message, and quick buttons to add one. */
function renderReactions(message) {
  const row = document.createElement("div");
  row.className = "reactions";
  const reactions = state.reactions.get(message.messageId) ?? new Map();
  for (const [key, { count, mine }] of reactions) {
    if (count <= 0) continue;
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = mine ? "reaction mine" : "reaction";
    chip.dataset.key = key;
    chip.textContent = `${key} ${count}`;
    chip.title = mine ? "Remove your reaction" : "React";
    chip.onclick = () => toggleReaction(message, key);
    row.append(chip);
  }
  for (const key of QUICK_REACTIONS) {
    if ((reactions.get(key)?.count ?? 0) > 0) continue;
    const add = document.createElement("button");
    add.type = "button";
    add.className = "reaction add";
    add.dataset.key = key;
    add.textContent = key;
    add.title = `React with ${key}`;
    add.onclick = () => toggleReaction(message, key);
    row.append(add);
  }
  return row;
}

/** A small action button of a message's meta line. */
function actionButton(text, className, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = text;
  button.className = className;
  button.onclick = onClick;
  return button;
}

/** A download link with the file's name and size. */
function attachmentLink(body) {
  const link = document.createElement("a");
  link.className = "attachment";
  showFile(link, "href", body.url);
  link.target = "_blank";
  link.rel = "noopener";
  const name = document.createElement("span");
  name.textContent = body.name;
  const size = document.createElement("small");
  size.textContent = formatSize(body.size);
  link.append(name, size);
  return link;
}

/** `scroll`: "bottom" to the newest, "stick" to the bottom if already near it, "keep" the view (older prepended). */
function renderMessages(scroll) {
  const ol = $("messages");
  const fromBottom = ol.scrollHeight - ol.scrollTop;
  const nearBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < STICK_PX;
  const group = state.active && isGroup(state.active);
  const rows = state.messages.map((message) => {
    const li = document.createElement("li");
    const mine = message.from === state.auth.userId;
    li.className = [
      mine ? "mine" : "",
      message.recalled ? "recalled" : "",
      !mine && mentionsMe(message) ? "mentions-me" : "",
      message.forwarded ? "forwarded" : "",
      `kind-${message.body?.type}`,
    ]
      .filter(Boolean)
      .join(" ");
    li.dataset.seq = String(message.seq ?? "");
    li.dataset.messageId = message.messageId ?? "";
    if (group && !mine) {
      const who = document.createElement("div");
      who.className = "from";
      who.textContent = state.names.get(message.from) ?? message.from;
      li.append(who);
    }
    if (message.forwarded && !message.recalled) {
      const label = document.createElement("div");
      label.className = "forwarded-label";
      const origin = message.forwarded.from;
      label.textContent = origin
        ? `Forwarded from ${state.names.get(origin) ?? origin}`
        : "Forwarded";
      li.append(label);
    }
    if (message.replyTo) li.append(renderQuote(message.replyTo));
    const meta = document.createElement("div");
    meta.className = "meta";
    const time = document.createElement("time");
    time.textContent = formatTime(message.ts);
    meta.append(time);
    if (message.editedAt && !message.recalled) {
      const edited = document.createElement("span");
      edited.className = "edited";
      edited.textContent = "edited";
      edited.title = `Edited ${formatTime(message.editedAt)}`;
      meta.append(edited);
    }
    if (mine && !message.recalled) {
      const status = document.createElement("span");
      status.className = "status";
      status.dataset.status = statusOf(message);
      status.textContent = statusOf(message);
      meta.append(status);
    }
    if (
      mine &&
      !message.recalled &&
      !message.pending &&
      Date.now() - message.ts < RECALL_WINDOW_MS
    ) {
      const recall = document.createElement("button");
      recall.type = "button";
      recall.textContent = "recall";
      recall.className = "recall";
      recall.onclick = () => {
        if (!state.client.recall(message.messageId)) showError(new Error("not connected"));
      };
      meta.append(recall);
    }
    if (!message.recalled && !message.pending) {
      const pinned = state.pins.some((p) => p.messageId === message.messageId);
      meta.append(actionButton("reply", "reply", () => setCompose({ mode: "reply", message })));
      if (mine && message.body.type === "text" && Date.now() - message.ts < EDIT_WINDOW_MS) {
        meta.append(actionButton("edit", "edit", () => setCompose({ mode: "edit", message })));
      }
      meta.append(
        actionButton(pinned ? "unpin" : "pin", "pin", () => {
          state.client.pin(message.messageId, { remove: pinned }).catch(showError);
        }),
        actionButton("forward", "forward", () => openForward(message)),
        actionButton("delete", "delete", () => {
          if (!confirm("Delete this message for you? Others still see it.")) return;
          state.client.deleteForMe(message.messageId).catch(showError);
        }),
      );
    }
    li.append(renderBody(message));
    if (!message.recalled && !message.pending) li.append(renderReactions(message));
    li.append(meta);
    return li;
  });
  ol.replaceChildren(...rows);
  $("load-older").hidden = !state.more;
  const empty = $("empty-conversation");
  empty.hidden = rows.length > 0;
  empty.textContent = state.active
    ? "No messages yet: say hello."
    : "Pick a conversation, or start one on the left.";
  if (scroll === "bottom" || (scroll === "stick" && nearBottom)) ol.scrollTop = ol.scrollHeight;
  else if (scroll === "keep") ol.scrollTop = ol.scrollHeight - fromBottom;
}

function markRead() {
  const summary = state.conversations.get(state.active);
  const last = state.messages.findLast((m) => !m.pending)?.seq ?? 0;
  if (!summary || last === 0 || document.hidden) return;
  if (last > (summary.readSeq ?? 0)) state.client.read(state.active, last);
  summary.unread = 0;
  summary.readSeq = Math.max(summary.readSeq ?? 0, last);
}

async function send(body, options = {}) {
  const conversationId = state.active;
  const to = targetOf(conversationId);
  const local = {
    messageId: `local-${crypto.randomUUID()}`,
    conversationId,
    from: state.auth.userId,
    to,
    body,
    ts: Date.now(),
    seq: Number.MAX_SAFE_INTEGER,
    pending: true,
  };
  if (options.replyTo) {
    const quoted = options.replyTo;
    local.replyTo = {
      messageId: quoted.messageId,
      seq: quoted.seq,
      from: quoted.from,
      excerpt: preview(quoted).slice(0, 200),
    };
  }
  if (options.mentions?.length) local.mentions = options.mentions;
  addMessage(local);
  try {
    const sent = await state.client.send(to, body, {
      ...(options.replyTo ? { replyTo: options.replyTo.messageId } : {}),
      ...(options.mentions?.length ? { mentions: options.mentions } : {}),
    });
    Object.assign(local, { messageId: sent.messageId, seq: sent.seq, ts: sent.ts, pending: false });
    const summary = summaryOf(conversationId);
    summary.lastSeq = Math.max(summary.lastSeq, sent.seq);
    summary.readSeq = Math.max(summary.readSeq ?? 0, sent.seq);
    if (!summary.lastMessage || summary.lastMessage.seq <= sent.seq) summary.lastMessage = local;
    if (conversationId === state.active) {
      state.messages.sort((x, y) => x.seq - y.seq);
      renderMessages("stick");
    }
    await renderConversations();
  } catch (error) {
    state.messages = state.messages.filter((m) => m !== local);
    if (conversationId === state.active) renderMessages("keep");
    showError(error);
  }
}

let errorTimer = 0;
function showError(error) {
  $("chat-error").textContent = error?.message ?? String(error);
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => {
    $("chat-error").textContent = "";
  }, 5000);
}

// ------------------------------------------------------------------ group info panel

/** Members per page of the panel (`GET /groups/:id/members?limit=`). */
const MEMBER_PAGE = 50;
/** Timed mutes the panel offers, in seconds (the server allows up to LUCKY_IM_MAX_GROUP_MUTE_SECONDS). */
const MUTE_CHOICES = [
  [600, "10 minutes"],
  [3600, "1 hour"],
  [86_400, "1 day"],
  [604_800, "7 days"],
];
const panel = { groupId: null, group: null, members: [], memberCount: 0, nextCursor: null };

const groupPath = (groupId, rest = "") => `/groups/${encodeURIComponent(groupId)}${rest}`;

/** Shows an announcement (`{text, by, at}`) in `element`, or hides it when there is none. */
function renderAnnouncementInto(element, announcement) {
  element.hidden = !announcement;
  if (!announcement) return;
  const text = document.createElement("span");
  text.className = "announcement-text";
  text.textContent = announcement.text;
  const meta = document.createElement("span");
  meta.className = "hint";
  meta.textContent = ` · ${formatTime(announcement.at)}`;
  element.replaceChildren("📢 ", text, meta);
  void nameOf(announcement.by).then((name) => {
    meta.textContent = ` · ${name}, ${formatTime(announcement.at)}`;
  });
}

/** The active group's announcement above the messages (from the cached group). */
function renderAnnouncementBanner() {
  const group = state.active && isGroup(state.active) && state.groups.get(state.active.slice(2));
  renderAnnouncementInto($("announcement-banner"), group ? group.announcement : null);
}

function showGroupPanel(open) {
  if (open) {
    // The panel still shows the group it was last drawn for: hide what names or changes a
    // group until refreshGroupPanel has drawn this one.
    $("group-id").textContent = "";
    $("group-join-mode-label").hidden = true;
  }
  $("group-panel").hidden = !open;
  $("group-info-button").setAttribute("aria-expanded", String(open));
  if (!open) panel.groupId = null;
}

/** Loads the active group and the first page of its members, then draws the panel (when open). */
async function refreshGroupPanel() {
  if ($("group-panel").hidden || !state.active || !isGroup(state.active)) return;
  const groupId = state.active.slice(2);
  const [group, page] = await Promise.all([
    api("GET", groupPath(groupId)),
    api("GET", groupPath(groupId, `/members?limit=${MEMBER_PAGE}`)),
  ]);
  if (state.active !== `g:${groupId}` || $("group-panel").hidden) return;
  state.groups.set(groupId, group);
  Object.assign(panel, {
    groupId,
    group,
    members: page.members,
    memberCount: page.memberCount,
    nextCursor: page.nextCursor,
  });
  await renderGroupPanel();
}

async function loadMoreMembers() {
  if (!panel.groupId || !panel.nextCursor) return;
  const query = new URLSearchParams({ limit: String(MEMBER_PAGE), cursor: panel.nextCursor });
  const page = await api("GET", groupPath(panel.groupId, `/members?${query}`));
  panel.members.push(...page.members);
  panel.nextCursor = page.nextCursor;
  await renderGroupPanel();
}

/** The viewer's role in the panel's group; what it shows follows the engine's rules. */
function myGroupRole() {
  return panel.group?.members.find((m) => m.userId === state.auth.userId)?.role ?? "member";
}

async function renderGroupPanel() {
  const { group } = panel;
  if (!group) return;
  const myRole = myGroupRole();
  const manager = myRole === "owner" || myRole === "admin";
  $("group-summary").textContent =
    `${panel.memberCount} members · you are ${myRole === "member" ? "a member" : `the ${myRole}`}` +
    (group.mutedAll ? " · only the owner and admins may send" : "");
  $("group-rename").hidden = !manager;
  if (document.activeElement !== $("group-rename-input"))
    $("group-rename-input").value = group.name;
  $("group-post-policy-label").hidden = !manager;
  $("group-post-policy").value = group.postPolicy ?? (group.mutedAll ? "admins" : "everyone");
  $("group-description").textContent = group.description || (manager ? "" : "No description.");
  $("group-description-form").hidden = !manager;
  if (document.activeElement !== $("group-description-input"))
    $("group-description-input").value = group.description ?? "";
  $("group-announcement-form").hidden = !manager;
  $("group-announcement-remove").hidden = !group.announcement;
  renderAnnouncementInto($("group-announcement-view"), group.announcement);
  $("group-avatar-label").hidden = !manager;
  $("group-avatar-img").hidden = !group.avatar;
  if (group.avatar) $("group-avatar-img").src = group.avatar;
  $("group-leave").hidden = myRole === "owner";
  $("group-dismiss").hidden = myRole !== "owner";
  $("group-more-members").hidden = !panel.nextCursor;
  $("group-id").textContent = panel.groupId;
  await renderJoinAdmin(manager);
  const names = await Promise.all(panel.members.map((m) => nameOf(m.userId)));
  $("group-members").replaceChildren(
    ...panel.members.map((m, i) => memberRow(m, names[i], myRole)),
  );
}

function smallButton(text, onClick, className = "secondary small") {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = text;
  button.onclick = () => void groupAction(button, onClick);
  return button;
}

/** Runs an admin action with its button disabled; the `group` frame that follows redraws the panel. */
async function groupAction(button, work) {
  button.disabled = true;
  try {
    await work();
    await refreshGroupPanel();
  } catch (error) {
    showError(error);
  } finally {
    button.disabled = false;
  }
}

function memberRow(member, name, myRole) {
  const li = document.createElement("li");
  li.dataset.userId = member.userId;
  const label = document.createElement("span");
  label.className = "member-name";
  label.textContent = name;
  const role = document.createElement("span");
  role.className = `role role-${member.role}`;
  role.textContent = member.role;
  li.append(label, role);
  if (member.mutedUntil) {
    const muted = document.createElement("span");
    muted.className = "hint muted";
    muted.textContent = `muted until ${new Date(member.mutedUntil).toLocaleString()}`;
    li.append(muted);
  }
  const self = member.userId === state.auth.userId;
  if (self || member.role === "owner") return li;
  const groupId = panel.groupId;
  const memberPath = (rest = "") =>
    groupPath(groupId, `/members/${encodeURIComponent(member.userId)}${rest}`);
  const actions = document.createElement("span");
  actions.className = "member-actions";
  if (myRole === "owner") {
    const next = member.role === "admin" ? "member" : "admin";
    actions.append(
      smallButton(next === "admin" ? "Make admin" : "Make member", () =>
        api("PUT", memberPath("/role"), { role: next }),
      ),
      smallButton("Make owner", async () => {
        if (!confirm(`Hand the group to ${name}? You become an admin.`)) return;
        await api("POST", groupPath(groupId, "/transfer"), { userId: member.userId });
      }),
    );
  }
  // Admins manage plain members only; the owner manages everyone else.
  const manages = myRole === "owner" || (myRole === "admin" && member.role === "member");
  if (manages) {
    if (member.mutedUntil) {
      actions.append(smallButton("Unmute", () => api("DELETE", memberPath("/mute"))));
    } else {
      const duration = document.createElement("select");
      duration.setAttribute("aria-label", `Mute ${name} for`);
      for (const [seconds, text] of MUTE_CHOICES) duration.add(new Option(text, String(seconds)));
      actions.append(
        duration,
        smallButton("Mute", () =>
          api("PUT", memberPath("/mute"), { durationSeconds: Number(duration.value) }),
        ),
      );
    }
    actions.append(
      smallButton("Remove", async () => {
        if (!confirm(`Remove ${name} from the group?`)) return;
        await api("DELETE", memberPath());
      }),
    );
  }
  if (actions.childElementCount > 0) li.append(actions);
  return li;
}

// ------------------------------------------------------------------ joining groups

/** Join settings, pending requests (owner and admins) and invite links of the panel's group. */
async function renderJoinAdmin(manager) {
  const groupId = panel.groupId;
  const settings = await api("GET", groupPath(groupId, "/join-settings"));
  const mayInvite = manager || settings.invitePolicy === "members";
  const [requests, links] = await Promise.all([
    manager ? api("GET", groupPath(groupId, "/requests")) : { requests: [] },
    mayInvite ? api("GET", groupPath(groupId, "/invite-links")) : { links: [] },
  ]);
  if (panel.groupId !== groupId) return;
  $("group-join-mode-label").hidden = !manager;
  $("group-join-mode").value = settings.joinMode;
  $("group-requests-box").hidden = !manager || requests.requests.length === 0;
  const names = await Promise.all(requests.requests.map((r) => nameOf(r.userId)));
  $("group-requests").replaceChildren(
    ...requests.requests.map((request, i) => {
      const li = document.createElement("li");
      li.dataset.requestId = request.ticketId;
      const who = document.createElement("span");
      who.className = "member-name";
      who.textContent = names[i];
      li.append(who);
      if (request.message) {
        const message = document.createElement("span");
        message.className = "hint";
        message.textContent = `“${request.message}”`;
        li.append(message);
      }
      const id = encodeURIComponent(request.ticketId);
      li.append(
        smallButton("Approve", () => api("POST", `/join-requests/${id}/approve`)),
        smallButton("Decline", () => api("POST", `/join-requests/${id}/decline`)),
      );
      return li;
    }),
  );
  $("group-links-box").hidden = !mayInvite;
  $("group-links").replaceChildren(
    ...links.links.map((link) => {
      const li = document.createElement("li");
      li.dataset.code = link.code;
      const code = document.createElement("code");
      code.className = "invite-code";
      code.textContent = link.code;
      const uses = document.createElement("span");
      uses.className = "hint";
      uses.textContent =
        `${link.uses}${link.maxUses === null ? "" : `/${link.maxUses}`} used · ` +
        `until ${new Date(link.expiresAt).toLocaleString()}`;
      li.append(
        code,
        uses,
        smallButton("Revoke", () =>
          api("DELETE", `/invite-links/${encodeURIComponent(link.code)}`),
        ),
      );
      return li;
    }),
  );
}

/** My pending invitations, with accept and decline. */
async function loadInvitations() {
  const { invitations } = await api("GET", "/invitations");
  const rows = await Promise.all(
    invitations.map(async (invitation) => {
      const li = document.createElement("li");
      li.dataset.invitationId = invitation.ticketId;
      const text = document.createElement("span");
      text.textContent = `${await nameOf(invitation.by)} invites you to a group`;
      li.append(text);
      if (invitation.message) {
        const message = document.createElement("span");
        message.className = "hint";
        message.textContent = `“${invitation.message}”`;
        li.append(message);
      }
      const id = encodeURIComponent(invitation.ticketId);
      const answer = (verb) => async () => {
        const joined = await api("POST", `/invitations/${id}/${verb}`);
        await loadInvitations();
        if (joined?.joined) {
          summaryOf(`g:${joined.groupId}`).createdAt = Date.now();
          await openConversation(`g:${joined.groupId}`);
        }
      };
      li.append(smallButton("Accept", answer("accept")), smallButton("Decline", answer("decline")));
      return li;
    }),
  );
  $("invitations").replaceChildren(...rows);
  $("invitations-box").hidden = rows.length === 0;
}

/** Joins with an invite code, or by group id (open: at once; approval: sends a request). */
async function joinGroup(input, message) {
  try {
    return await api("POST", `/invite-links/${encodeURIComponent(input)}/join`);
  } catch (error) {
    if (error.code !== "not_found") throw error;
  }
  const path = groupPath(input);
  const settings = await api("GET", `${path}/join-settings`);
  if (settings.joinMode === "open") return api("POST", `${path}/join`);
  if (settings.joinMode === "approval") {
    await api("POST", `${path}/requests`, message ? { message } : {});
    return { requested: true };
  }
  throw new Error("This group takes invited people only: ask a member for an invite link.");
}

const JOIN_EVENTS = new Set(["join_requested", "join_declined", "invited", "invitation_declined"]);

// ------------------------------------------------------------------ contacts and blocks

/** Entries per list of the Contacts box (the first page; the API pages further). */
const PEOPLE_PAGE = 100;
const people = { contacts: [], incoming: [], outgoing: [], blocks: [] };

async function loadPeople() {
  const [contacts, incoming, outgoing, blocks] = await Promise.all([
    api("GET", `/contacts?limit=${PEOPLE_PAGE}`),
    api("GET", `/contacts/requests?direction=incoming&limit=${PEOPLE_PAGE}`),
    api("GET", `/contacts/requests?direction=outgoing&limit=${PEOPLE_PAGE}`),
    api("GET", `/blocks?limit=${PEOPLE_PAGE}`),
  ]);
  people.contacts = contacts.contacts;
  people.incoming = incoming.requests;
  people.outgoing = outgoing.requests;
  people.blocks = blocks.blocks;
  for (const c of people.contacts) if (c.username) state.names.set(c.userId, c.username);
  renderPeople();
}

/** Runs a contact action with its button disabled, then reloads the lists. */
function peopleButton(text, work, className = "secondary small") {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = text;
  button.onclick = async () => {
    button.disabled = true;
    $("contacts-status").textContent = "";
    try {
      await work();
      await loadPeople();
    } catch (error) {
      $("contacts-status").textContent = error.message;
    } finally {
      button.disabled = false;
    }
  };
  return button;
}

function personRow(userId, label, detail, buttons) {
  const li = document.createElement("li");
  li.dataset.userId = userId;
  const name = document.createElement("span");
  name.className = "person-name";
  name.textContent = label;
  li.append(name);
  if (detail) {
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = detail;
    li.append(hint);
  }
  const actions = document.createElement("span");
  actions.className = "person-actions";
  actions.append(...buttons);
  li.append(actions);
  return li;
}

const userPath = (prefix, userId, rest = "") => `${prefix}/${encodeURIComponent(userId)}${rest}`;

function renderPeople() {
  $("incoming-requests").replaceChildren(
    ...people.incoming.map((r) =>
      personRow(r.fromId, r.username ?? r.fromId, r.message, [
        peopleButton(
          "Accept",
          () => api("POST", userPath("/contacts/requests", r.fromId, "/accept")),
          "small",
        ),
        peopleButton("Decline", () =>
          api("POST", userPath("/contacts/requests", r.fromId, "/decline")),
        ),
      ]),
    ),
  );
  $("outgoing-requests").replaceChildren(
    ...people.outgoing.map((r) =>
      personRow(r.toId, r.username ?? r.toId, "pending", [
        peopleButton("Cancel", () => api("DELETE", userPath("/contacts/requests", r.toId))),
      ]),
    ),
  );
  $("contact-list").replaceChildren(
    ...people.contacts.map((c) => {
      const name = c.username ?? c.userId;
      return personRow(c.userId, c.remark ? `${c.remark} (${name})` : name, "", [
        peopleButton(
          "Chat",
          () => openConversation(directId(state.auth.userId, c.userId)),
          "small",
        ),
        peopleButton("Remark", async () => {
          const remark = prompt(`Your name for ${name} (empty clears it)`, c.remark ?? "");
          if (remark === null) return;
          await api("PUT", userPath("/contacts", c.userId, "/remark"), {
            remark: remark.trim() || null,
          });
        }),
        peopleButton("Remove", async () => {
          if (!confirm(`Remove ${name} from your contacts?`)) return;
          await api("DELETE", userPath("/contacts", c.userId));
        }),
        peopleButton("Block", () => api("PUT", userPath("/blocks", c.userId)), "small danger"),
      ]);
    }),
  );
  $("blocked-list").replaceChildren(
    ...people.blocks.map((b) =>
      personRow(b.userId, b.username ?? b.userId, "", [
        peopleButton("Unblock", () => api("DELETE", userPath("/blocks", b.userId))),
      ]),
    ),
  );
  const badge = $("contacts-badge");
  badge.hidden = people.incoming.length === 0;
  badge.textContent = String(people.incoming.length);
}

/** Another device or the other user changed something: reload the lists. */
function onContact() {
  void loadPeople().catch(showError);
}

// ------------------------------------------------------------------ realtime

function onMessage(message) {
  const known = state.conversations.has(message.conversationId);
  const summary = summaryOf(message.conversationId);
  const fresh = message.seq > summary.lastSeq;
  summary.lastSeq = Math.max(summary.lastSeq, message.seq);
  if (!summary.lastMessage || summary.lastMessage.seq <= message.seq) summary.lastMessage = message;
  // Counted once: a seq at or below lastSeq was in the server's count already.
  if (
    fresh &&
    message.conversationId !== state.active &&
    message.from !== state.auth.userId &&
    message.seq > (summary.readSeq ?? 0)
  ) {
    summary.unread += 1;
    if (mentionsMe(message)) summary.mentions = (summary.mentions ?? 0) + 1;
  }
  if (message.conversationId === state.active) {
    void nameOf(message.from).then(() => {
      if (message.conversationId !== state.active) return;
      addMessage(message);
      if (message.from !== state.auth.userId) {
        $("typing").textContent = "";
        markRead();
      }
    });
  }
  // A conversation new to the page: the server's summary has its unread count and title.
  if (!known) void loadConversations().catch(showError);
  else void renderConversations();
}

function onGroup(frame) {
  const conversationId = `g:${frame.groupId}`;
  // Requests and invitations change no membership: refresh the inbox and the panel only.
  if (JOIN_EVENTS.has(frame.event)) {
    if (frame.event === "invited" || frame.event === "invitation_declined")
      void loadInvitations().catch(showError);
    if (frame.event === "join_declined" && frame.by !== state.auth.userId)
      $("join-status").textContent = "Your join request was declined.";
    if (state.active === conversationId) void refreshGroupPanel().catch(showError);
    return;
  }
  state.groups.delete(frame.groupId);
  const me = state.auth.userId;
  const gone =
    frame.event === "dismissed" || (frame.event === "member_removed" && frame.userIds.includes(me));
  if (gone) {
    state.conversations.delete(conversationId);
    if (state.active === conversationId) closeConversation();
    void renderConversations();
    return;
  }
  const summary = state.conversations.get(conversationId);
  if (summary) summary.title = undefined;
  else if (frame.event === "created" || frame.userIds.includes(me)) {
    // A new group has no message yet, so /conversations does not list it: show it now.
    summaryOf(conversationId).createdAt = Date.now();
  }
  if (state.active === conversationId) {
    void titleOf(conversationId).then((title) => {
      if (state.active !== conversationId) return;
      $("conversation-title").textContent = title;
      renderAnnouncementBanner();
    });
    void refreshGroupPanel().catch(showError);
  }
  void renderConversations();
}

/** A stored change to a message (docs/protocol.md §13.3): edits, reactions, pins, deletes. */
function onChange(change) {
  const me = state.auth.userId;
  const active = change.conversationId === state.active;
  const message = active ? state.messages.find((m) => m.messageId === change.messageId) : undefined;
  const summary = state.conversations.get(change.conversationId);
  switch (change.kind) {
    case "edited":
      if (message) Object.assign(message, { body: change.body, editedAt: change.ts });
      if (summary?.lastMessage?.messageId === change.messageId) {
        summary.lastMessage = { ...summary.lastMessage, body: change.body, editedAt: change.ts };
      }
      break;
    case "reacted":
    case "unreacted": {
      const reactions = reactionsOf(change.messageId);
      const now = reactions.get(change.key) ?? { count: 0, mine: false };
      const added = change.kind === "reacted";
      const count = Math.max(0, now.count + (added ? 1 : -1));
      const mine = change.by === me ? added : now.mine;
      if (count === 0) reactions.delete(change.key);
      else reactions.set(change.key, { count, mine });
      break;
    }
    case "pinned":
    case "unpinned":
      if (active) void loadPins().catch(showError);
      break;
    case "deleted":
      if (change.by === me) {
        state.messages = state.messages.filter((m) => m.messageId !== change.messageId);
      }
      break;
    case "cleared":
      if (change.by === me) state.messages = state.messages.filter((m) => m.seq > change.seq);
      break;
    default:
      return;
  }
  if (active) renderMessages("stick");
  void renderConversations();
}

// ------------------------------------------------------------------ reply, edit, pins, forward, search

/** Replying to or editing a message (`{mode, message}`), or neither (`null`). */
function setCompose(compose) {
  state.compose = compose;
  $("compose-context").hidden = !compose;
  if (!compose) {
    $("compose-context-text").textContent = "";
    return;
  }
  const { mode, message } = compose;
  const who = state.names.get(message.from) ?? message.from;
  $("compose-context").dataset.mode = mode;
  $("compose-context-text").textContent =
    mode === "edit" ? "Editing your message" : `Replying to ${who}: ${preview(message)}`;
  if (mode === "edit") $("text").value = message.body.text;
  $("text").focus();
}

/** The user ids of the `@name`s of a group message that name members (`@all`: "all"). */
async function mentionsIn(text) {
  if (!state.active || !isGroup(state.active)) return [];
  const names = [...text.matchAll(/@([\p{L}\p{N}_.-]+)/gu)].map((m) => m[1]);
  if (names.length === 0) return [];
  const group = state.groups.get(state.active.slice(2));
  const members = new Set((group?.members ?? []).map((m) => m.userId));
  const ids = [];
  for (const name of new Set(names)) {
    if (name.toLowerCase() === "all") {
      ids.push("all");
      continue;
    }
    try {
      const userId = await userIdOf(name);
      if (members.has(userId)) ids.push(userId);
    } catch {
      // Not a user: plain text.
    }
  }
  return ids;
}

/** What the composer's submit does: a new message, a reply, or an edit. */
async function submitText(text) {
  const compose = state.compose;
  setCompose(null);
  if (compose?.mode === "edit") {
    await state.client.edit(compose.message.messageId, { type: "text", text });
    return;
  }
  const mentions = await mentionsIn(text);
  await send(
    { type: "text", text },
    { replyTo: compose?.mode === "reply" ? compose.message : undefined, mentions },
  );
}

function showPinsPanel(open) {
  $("pins-panel").hidden = !open;
  $("pins-button").setAttribute("aria-expanded", String(open));
}

/** The active conversation's pinned messages (`GET /conversations/:id/pins`). */
async function loadPins() {
  const conversationId = state.active;
  if (!conversationId) return;
  // A conversation without a stored message (a new direct chat) has nothing pinned.
  if (!state.messages.some((m) => !m.pending)) {
    state.pins = [];
    renderPins();
    return;
  }
  const { pins } = await api("GET", `/conversations/${encodeURIComponent(conversationId)}/pins`);
  if (conversationId !== state.active) return;
  state.pins = pins;
  renderPins();
  renderMessages("keep");
}

function renderPins() {
  const rows = state.pins.map((pin) => {
    const li = document.createElement("li");
    li.dataset.messageId = pin.messageId;
    const message = state.messages.find((m) => m.messageId === pin.messageId);
    const text = document.createElement("span");
    text.textContent = message ? preview(message) : `Message #${pin.seq}`;
    const by = document.createElement("small");
    by.className = "hint";
    by.textContent = ` pinned by ${state.names.get(pin.pinnedBy) ?? pin.pinnedBy}`;
    li.append(text, by);
    li.onclick = () => {
      const target = $("messages").querySelector(
        `li[data-message-id="${CSS.escape(pin.messageId)}"]`,
      );
      target?.scrollIntoView({ block: "center" });
    };
    return li;
  });
  $("pins").replaceChildren(...rows);
  $("no-pins").hidden = rows.length > 0;
}

/** Opens the forward dialog: one checkbox per conversation of the list. */
async function openForward(message) {
  state.forwarding = message;
  $("forward-excerpt").textContent = preview(message);
  const items = [...state.conversations.values()];
  await Promise.all(
    items.map(async (c) => {
      c.title ??= await titleOf(c.conversationId);
    }),
  );
  const rows = items.map((c) => {
    const li = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = c.conversationId;
    label.append(box, ` ${c.title}`);
    li.append(label);
    return li;
  });
  $("forward-targets").replaceChildren(...rows);
  $("forward-dialog").showModal();
}

async function forwardChecked() {
  const message = state.forwarding;
  const targets = [...$("forward-targets").querySelectorAll("input:checked")].map((box) =>
    targetOf(box.value),
  );
  state.forwarding = null;
  if (!message || targets.length === 0) return;
  await state.client.forward(message.messageId, targets);
}

/** `GET /search`: the hits, newest first; a click opens the conversation. */
async function search(text) {
  const box = $("search-box");
  box.hidden = false;
  $("search-status").textContent = "Searching…";
  const { messages } = await api("GET", `/search?${new URLSearchParams({ q: text, limit: "20" })}`);
  await Promise.all([...new Set(messages.map((m) => m.from))].map(nameOf));
  const rows = await Promise.all(
    messages.map(async (message) => {
      const li = document.createElement("li");
      li.dataset.messageId = message.messageId;
      const where = document.createElement("strong");
      where.textContent =
        summaryOf(message.conversationId).title ?? (await titleOf(message.conversationId));
      const what = document.createElement("div");
      what.className = "preview";
      what.textContent = `${state.names.get(message.from) ?? message.from}: ${preview(message)}`;
      const time = document.createElement("time");
      time.textContent = formatTime(message.ts);
      li.append(where, time, what);
      li.onclick = () => void openConversation(message.conversationId).catch(showError);
      return li;
    }),
  );
  $("search-results").replaceChildren(...rows);
  $("search-status").textContent = rows.length ? "" : "No message matches.";
}

function closeConversation() {
  state.active = null;
  state.messages = [];
  state.more = false;
  $("conversation-title").textContent = "Welcome";
  $("announcement-banner").hidden = true;
  delete $("conversation").dataset.open;
  $("composer").hidden = true;
  $("add-members").hidden = true;
  showGroupPanel(false);
  $("group-info-button").hidden = true;
  $("typing").textContent = "";
  state.pins = [];
  setCompose(null);
  showPinsPanel(false);
  renderHeader();
  renderMessages("bottom");
}

function startClient() {
  const client = createImClient({
    cursorStore: createLocalStorageCursorStore({
      storage: localStorage,
      prefix: "lucky-im.cursors.",
    }),
    device: { class: "web" },
    // Edits, reactions, pins, delete-for-me and clear (docs/protocol.md §13).
    changes: true,
  });
  state.client = client;
  client.on("state", (now) => {
    const badge = $("connection");
    badge.dataset.state = now;
    badge.textContent = now === "open" ? "online" : now === "reconnecting" ? "reconnecting…" : now;
    badge.title = now === "reconnecting" ? "Connection lost: retrying" : "";
  });
  client.on("message", onMessage);
  client.on("receipt", (receipt) => {
    if (receipt.userId === state.auth.userId) return;
    const receipts = receiptsOf(receipt.conversationId);
    if (receipt.kind === "read") receipts.read = Math.max(receipts.read, receipt.seq);
    receipts.delivered = Math.max(receipts.delivered, receipt.seq);
    if (receipt.conversationId === state.active) renderMessages("stick");
  });
  client.on("recalled", (frame) => {
    const message = state.messages.find((m) => m.messageId === frame.messageId);
    if (message) {
      message.recalled = true;
      renderMessages("stick");
    }
    const summary = state.conversations.get(frame.conversationId);
    if (summary?.lastMessage?.messageId === frame.messageId) {
      summary.lastMessage = { ...summary.lastMessage, recalled: true };
    }
    void renderConversations();
  });
  client.on("typing", (frame) => {
    if (frame.conversationId !== state.active || frame.from === state.auth.userId) return;
    void nameOf(frame.from).then((name) => {
      if (frame.conversationId !== state.active) return;
      $("typing").textContent = `${name} is typing…`;
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => {
        $("typing").textContent = "";
      }, 3000);
    });
  });
  client.on("change", onChange);
  client.on("group", onGroup);
  client.on("contact", onContact);
  client.on("ready", () => {
    // A new connection: the client subscribes again by itself; a first one needs the list.
    if (!state.watched) watchPresence();
  });
  const onPresence = (status) => {
    state.presence.set(status.userId, { online: status.online, lastSeen: status.lastSeen });
  };
  client.on("presenceState", (frame) => {
    for (const status of frame.users) onPresence(status);
    renderHeader();
    void renderConversations();
  });
  client.on("presence", (frame) => {
    onPresence(frame);
    renderHeader();
    void renderConversations();
  });
  client.on("profile", (frame) => {
    state.profiles.set(frame.userId, frame);
    if (frame.userId === state.auth.userId) showMe();
    const direct = directId(state.auth.userId, frame.userId);
    const summary = state.conversations.get(direct);
    if (summary) summary.title = undefined;
    void renderConversations().then(async () => {
      if (state.active === direct) {
        $("conversation-title").textContent = await titleOf(direct);
        renderHeader();
      }
    });
  });
  client.on("conversationSettings", applySettings);
  client.on("error", (error) => {
    console.warn("[lucky-im]", error.message);
    // Refusals of the user's own actions (recall too late, not allowed): say so.
    if (["forbidden", "conflict", "not_found", "rate_limited"].includes(error.code)) {
      showError(error);
    }
  });
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return client.connect({
    url: `${scheme}://${location.host}/ws`,
    getToken: async () => {
      if (state.auth.expiresAt - Date.now() < 30_000) await refreshTokens();
      return state.auth.accessToken;
    },
  });
}

// ------------------------------------------------------------------ push notifications

/** This browser's push device id, kept across logins (the server replaces its token on re-registration). */
function pushDeviceId() {
  let id = localStorage.getItem("lucky-im.push-device");
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem("lucky-im.push-device", id);
  }
  return id;
}

/**
 * Registers the service worker and, when the server has Web Push on and the user allows
 * notifications, subscribes and registers the subscription as this browser's push device.
 * Best effort: without push the chat works the same.
 */
async function enablePush() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
  const key = await fetch("/push/vapid-public-key");
  if (!key.ok) return; // Web Push is off on this server.
  const { publicKey } = await key.json();
  const registration = await navigator.serviceWorker.register("/sw.js");
  const permission =
    Notification.permission === "default"
      ? await Notification.requestPermission()
      : Notification.permission;
  if (permission !== "granted") return;
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: publicKey,
    }));
  await api("POST", "/push/devices", {
    deviceId: pushDeviceId(),
    platform: "web",
    token: JSON.stringify(subscription),
  });
}

/** Stops pushes to this browser (before logging it out). */
async function disablePush() {
  const id = localStorage.getItem("lucky-im.push-device");
  if (!id) return;
  await api("DELETE", `/push/devices/${encodeURIComponent(id)}`, undefined, { retry: false }).catch(
    () => {},
  );
}

// ------------------------------------------------------------------ wiring

async function enterChat() {
  // The file access mode before any message is rendered.
  const [me] = await Promise.all([api("GET", "/users/me"), loadPageSettings()]);
  saveAuth({ ...state.auth, userId: me.userId, username: me.username });
  state.names.set(me.userId, me.username);
  state.receipts = new Map();
  try {
    const profile = await api("GET", "/profile");
    state.profiles.set(me.userId, profile);
    $("display-name").value = profile.displayName;
  } catch {
    // The page works without profiles.
  }
  showMe();
  void showRecipient();
  $("auth-view").hidden = true;
  $("chat-view").hidden = false;
  await Promise.all([startClient(), loadConversations(), loadInvitations(), loadPeople()]);
  enablePush().catch((error) => console.warn("push notifications are off:", error));
}

/** The user's own name and avatar in the sidebar header. */
function showMe() {
  const { userId, username } = state.auth;
  const profile = state.profiles.get(userId);
  const shown = profile?.displayName || username;
  $("me").textContent = profile?.displayName ? `${shown} (@${username})` : username;
  $("me-avatar").replaceWith(
    Object.assign(avatar(shown, userId, profile?.avatar), { id: "me-avatar" }),
  );
}

async function userIdOf(username) {
  const name = username.trim();
  try {
    const user = await api("GET", `/users/by-name/${encodeURIComponent(name)}`);
    state.names.set(user.userId, user.username);
    return user.userId;
  } catch (error) {
    if (error.code === "not_found") throw new Error(`no user named "${name}"`);
    throw error;
  }
}

function usernamesIn(text) {
  return text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Disables `form`'s buttons while `work` runs, so a double click does not act twice. */
async function busy(form, work) {
  const buttons = form.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  try {
    return await work();
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

$("auth-form").onsubmit = (event) => {
  event.preventDefault();
  $("auth-error").textContent = "";
  void busy($("auth-form"), async () => {
    try {
      await login($("username").value.trim(), $("password").value);
      await enterChat();
    } catch (error) {
      $("auth-error").textContent = error.message;
    }
  });
};

$("register-button").onclick = () => {
  $("auth-error").textContent = "";
  const form = $("auth-form");
  if (!form.reportValidity()) return;
  void busy(form, async () => {
    try {
      await api("POST", "/auth/register", {
        username: $("username").value.trim(),
        password: $("password").value,
      });
      await login($("username").value.trim(), $("password").value);
      await enterChat();
    } catch (error) {
      $("auth-error").textContent = error.message;
    }
  });
};

$("logout-button").onclick = () => void logout();

// ------------------------------------------------------------------ account flows

/** Signs this tab in with tokens from a code or a QR approval. */
async function signInWith(tokens) {
  saveAuth({ ...tokens, expiresAt: Date.now() + tokens.expiresIn * 1000 });
  await enterChat();
}

$("code-request-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("code-request-form"), async () => {
    try {
      await api("POST", "/auth/code-login", { recipient: $("code-login-recipient").value });
      $("code-login-status").textContent = "If an account has this address, a code is on its way.";
    } catch (error) {
      $("code-login-status").textContent = error.message;
    }
  });
};

$("code-login-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("code-login-form"), async () => {
    try {
      const tokens = await api(
        "POST",
        "/auth/code-login/confirm",
        { recipient: $("code-login-recipient").value, code: $("code-login-code").value.trim() },
        { retry: false },
      );
      await signInWith(tokens);
    } catch (error) {
      $("code-login-status").textContent = error.message;
    }
  });
};

$("reset-request-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("reset-request-form"), async () => {
    try {
      await api("POST", "/auth/password-reset", { recipient: $("reset-recipient").value });
      $("reset-status").textContent = "If an account has this address, a code is on its way.";
    } catch (error) {
      $("reset-status").textContent = error.message;
    }
  });
};

$("reset-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("reset-form"), async () => {
    try {
      const tokens = await api(
        "POST",
        "/auth/password-reset/confirm",
        {
          recipient: $("reset-recipient").value,
          code: $("reset-code").value.trim(),
          newPassword: $("reset-password").value,
        },
        { retry: false },
      );
      await signInWith(tokens);
    } catch (error) {
      $("reset-status").textContent = error.message;
    }
  });
};

/** QR login on this (new) device: shows a challenge, waits for a signed-in device to approve. */
async function qrLogin() {
  const ticket = await api("POST", "/auth/qr", {});
  $("qr-image").src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(ticket.qrSvg)}`;
  $("qr-code").textContent = ticket.challengeId;
  $("qr-panel").hidden = false;
  $("qr-status").textContent = "Waiting for approval…";
  for (;;) {
    let answer;
    try {
      answer = await api(
        "POST",
        `/auth/qr/${encodeURIComponent(ticket.challengeId)}/poll`,
        { secret: ticket.secret, waitMs: 20_000 },
        { retry: false },
      );
    } catch (error) {
      $("qr-panel").hidden = true;
      $("qr-status").textContent =
        error.code === "not_found" ? "The code expired: show a new one." : error.message;
      return;
    }
    if (answer.status === "approved") {
      await signInWith(answer);
      return;
    }
    if (answer.status === "declined") {
      $("qr-panel").hidden = true;
      $("qr-status").textContent = "The other device declined.";
      return;
    }
  }
}

$("qr-start").onclick = () => {
  $("qr-status").textContent = "";
  void busy($("qr-login-box"), () =>
    qrLogin().catch((error) => {
      $("qr-status").textContent = error.message;
    }),
  );
};

async function showRecipient() {
  try {
    const { recipient } = await api("GET", "/auth/recipient");
    $("recipient-current").textContent = recipient
      ? `Reset and login codes go to ${recipient}.`
      : "No e-mail or phone for password reset.";
  } catch {
    // The page works without it.
  }
}

$("recipient-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("recipient-form"), async () => {
    try {
      await api("POST", "/auth/recipient", { recipient: $("recipient-input").value });
      $("recipient-status").textContent = "Code sent: type it below.";
    } catch (error) {
      $("recipient-status").textContent = error.message;
    }
  });
};

$("recipient-confirm-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("recipient-confirm-form"), async () => {
    try {
      await api("POST", "/auth/recipient/confirm", {
        recipient: $("recipient-input").value,
        code: $("recipient-code").value.trim(),
      });
      $("recipient-confirm-form").reset();
      $("recipient-status").textContent = "Verified.";
      await showRecipient();
    } catch (error) {
      $("recipient-status").textContent = error.message;
    }
  });
};

/** The challenge id in what the user typed or scanned (`lucky-im:login:<id>` or the id). */
const challengeIdOf = (text) => text.trim().replace(/^lucky-im:login:/, "");
let approving = null;

$("approve-form").onsubmit = (event) => {
  event.preventDefault();
  $("approve-status").textContent = "";
  void busy($("approve-form"), async () => {
    try {
      const id = challengeIdOf($("approve-code").value);
      const challenge = await api("GET", `/auth/qr/${encodeURIComponent(id)}`);
      approving = challenge.challengeId;
      // Who asks, before anything is decided: a phishing page shows someone else's code.
      $("approve-device").textContent = challenge.description;
      $("approve-ip").textContent = challenge.ip ? `(from ${challenge.ip})` : "";
      $("approve-panel").hidden = false;
    } catch (error) {
      $("approve-status").textContent =
        error.code === "not_found" ? "Unknown or expired code." : error.message;
    }
  });
};

function decideDevice(decision) {
  if (!approving) return;
  const id = approving;
  approving = null;
  $("approve-panel").hidden = true;
  api("POST", `/auth/qr/${encodeURIComponent(id)}/${decision}`)
    .then(() => {
      $("approve-form").reset();
      $("approve-status").textContent =
        decision === "approve" ? "The device is signed in." : "Declined.";
    })
    .catch((error) => {
      $("approve-status").textContent = error.message;
    });
}
$("approve-yes").onclick = () => decideDevice("approve");
$("approve-no").onclick = () => decideDevice("decline");

$("profile-form").onsubmit = (event) => {
  event.preventDefault();
  $("profile-status").textContent = "";
  void busy($("profile-form"), async () => {
    try {
      const patch = { displayName: $("display-name").value.trim() };
      const file = $("avatar-input").files[0];
      if (file) {
        const stored = await api("POST", `/files?name=${encodeURIComponent(file.name)}`, file, {
          raw: true,
          contentType: file.type || "application/octet-stream",
        });
        patch.avatarFileId = stored.fileId;
      }
      const profile = await api("PATCH", "/profile", patch);
      $("avatar-input").value = "";
      state.profiles.set(profile.userId, profile);
      showMe();
      $("profile-status").textContent = "Profile saved.";
    } catch (error) {
      $("profile-status").textContent = error.message;
    }
  });
};

$("pin-button").onclick = () => {
  const pinned = Boolean(summaryOf(state.active).settings?.pinnedAt);
  void changeSettings({ pinned: !pinned }).catch(showError);
};
$("mute-button").onclick = () => {
  const muted = isMuted(summaryOf(state.active).settings);
  void changeSettings({ mutedUntil: muted ? null : "forever" }).catch(showError);
};
$("archive-button").onclick = () => {
  const archived = Boolean(summaryOf(state.active).settings?.archived);
  void changeSettings({ archived: !archived }).catch(showError);
};
$("logout-all-button").onclick = () => {
  if (confirm("Log out on every device, this one included?")) void logout({ everywhere: true });
};

$("password-form").onsubmit = (event) => {
  event.preventDefault();
  $("password-status").textContent = "";
  void busy($("password-form"), async () => {
    try {
      await changePassword($("current-password").value, $("new-password").value);
      $("password-form").reset();
      $("password-status").textContent = "Password changed. Other devices are logged out.";
    } catch (error) {
      $("password-status").textContent = error.message;
    }
  });
};

$("add-contact").onsubmit = (event) => {
  event.preventDefault();
  $("contacts-status").textContent = "";
  void busy($("add-contact"), async () => {
    try {
      const userId = await userIdOf($("add-contact-username").value);
      const message = $("add-contact-message").value.trim();
      const answer = await api(
        "POST",
        "/contacts/requests",
        message ? { userId, message } : { userId },
      );
      $("add-contact").reset();
      $("contacts-status").textContent =
        answer.outcome === "accepted" ? "You are contacts now." : "Request sent.";
      await loadPeople();
    } catch (error) {
      $("contacts-status").textContent = error.message;
    }
  });
};

$("new-chat").onsubmit = (event) => {
  event.preventDefault();
  void busy($("new-chat"), async () => {
    try {
      const userId = await userIdOf($("new-chat-username").value);
      $("new-chat-username").value = "";
      await openConversation(directId(state.auth.userId, userId));
    } catch (error) {
      showError(error);
    }
  });
};

$("new-group").onsubmit = (event) => {
  event.preventDefault();
  void busy($("new-group"), async () => {
    try {
      const members = await Promise.all(usernamesIn($("new-group-members").value).map(userIdOf));
      const { groupId } = await api("POST", "/groups", {
        name: $("new-group-name").value.trim(),
        members,
      });
      $("new-group-name").value = "";
      $("new-group-members").value = "";
      $("new-group-box").open = false;
      summaryOf(`g:${groupId}`).createdAt = Date.now();
      await openConversation(`g:${groupId}`);
    } catch (error) {
      showError(error);
    }
  });
};

$("add-members").onsubmit = (event) => {
  event.preventDefault();
  void busy($("add-members"), async () => {
    try {
      const userIds = await Promise.all(usernamesIn($("add-members-input").value).map(userIdOf));
      if (userIds.length === 0) return;
      await api("POST", `/groups/${encodeURIComponent(state.active.slice(2))}/members`, {
        userIds,
      });
      $("add-members-input").value = "";
      state.groups.delete(state.active.slice(2));
    } catch (error) {
      showError(error);
    }
  });
};

$("group-info-button").onclick = () => {
  const open = $("group-panel").hidden;
  showGroupPanel(open);
  if (open) void refreshGroupPanel().catch(showError);
};

$("group-rename").onsubmit = (event) => {
  event.preventDefault();
  const groupId = panel.groupId;
  if (!groupId) return;
  void busy($("group-rename"), async () => {
    try {
      await api("PATCH", groupPath(groupId), { name: $("group-rename-input").value.trim() });
      $("group-rename-input").blur();
      await refreshGroupPanel();
    } catch (error) {
      showError(error);
    }
  });
};

$("group-post-policy").onchange = () => {
  const groupId = panel.groupId;
  if (!groupId) return;
  const postPolicy = $("group-post-policy").value;
  void api("PUT", groupPath(groupId, "/post-policy"), { postPolicy })
    .then(() => refreshGroupPanel())
    .catch((error) => {
      $("group-post-policy").value = postPolicy === "admins" ? "everyone" : "admins";
      showError(error);
    });
};

$("group-description-form").onsubmit = (event) => {
  event.preventDefault();
  const groupId = panel.groupId;
  if (!groupId) return;
  void busy($("group-description-form"), async () => {
    try {
      const description = $("group-description-input").value.trim();
      await api("PUT", groupPath(groupId, "/description"), { description });
      $("group-description-input").blur();
      await refreshGroupPanel();
    } catch (error) {
      showError(error);
    }
  });
};

$("group-announcement-form").onsubmit = (event) => {
  event.preventDefault();
  const groupId = panel.groupId;
  if (!groupId) return;
  void busy($("group-announcement-form"), async () => {
    try {
      const text = $("group-announcement-input").value.trim();
      await api("PUT", groupPath(groupId, "/announcement"), { text });
      $("group-announcement-input").value = "";
      await refreshGroupPanel();
    } catch (error) {
      showError(error);
    }
  });
};

$("group-announcement-remove").onclick = () =>
  void groupAction($("group-announcement-remove"), () =>
    api("DELETE", groupPath(panel.groupId, "/announcement")),
  );

$("group-avatar-input").onchange = () => {
  const groupId = panel.groupId;
  const file = $("group-avatar-input").files[0];
  if (!groupId || !file) return;
  void (async () => {
    try {
      const stored = await api("POST", `/files?name=${encodeURIComponent(file.name)}`, file, {
        raw: true,
        contentType: file.type || "application/octet-stream",
      });
      // The thumbnail is small enough for an avatar; a non-image upload has none.
      const fileId = stored.thumbnailUrl ? stored.thumbnailUrl.split("/").pop() : stored.fileId;
      await api("PUT", groupPath(groupId, "/avatar"), { fileId });
      await refreshGroupPanel();
      void renderConversations();
    } catch (error) {
      showError(error);
    } finally {
      $("group-avatar-input").value = "";
    }
  })();
};

$("group-join-mode").onchange = () => {
  const groupId = panel.groupId;
  if (!groupId) return;
  void api("PUT", groupPath(groupId, "/join-settings"), { joinMode: $("group-join-mode").value })
    .then(() => refreshGroupPanel())
    .catch(showError);
};

$("group-create-link").onclick = () =>
  void groupAction($("group-create-link"), () =>
    api("POST", groupPath(panel.groupId, "/invite-links"), {}),
  );

$("join-form").onsubmit = (event) => {
  event.preventDefault();
  void busy($("join-form"), async () => {
    $("join-status").textContent = "";
    try {
      const result = await joinGroup($("join-input").value.trim(), $("join-message").value.trim());
      $("join-input").value = "";
      $("join-message").value = "";
      if (result.requested) {
        $("join-status").textContent = "Request sent: an admin will answer.";
        return;
      }
      $("join-box").open = false;
      summaryOf(`g:${result.groupId}`).createdAt = Date.now();
      await openConversation(`g:${result.groupId}`);
    } catch (error) {
      $("join-status").textContent = error.message;
    }
  });
};

$("group-more-members").onclick = () => void loadMoreMembers().catch(showError);

$("group-leave").onclick = () => {
  const groupId = panel.groupId;
  if (!groupId || !confirm("Leave this group?")) return;
  void api("POST", groupPath(groupId, "/leave")).catch(showError);
};

$("group-dismiss").onclick = () => {
  const groupId = panel.groupId;
  if (!groupId || !confirm("Dismiss this group for everyone? Messages stay stored.")) return;
  void api("DELETE", groupPath(groupId)).catch(showError);
};

$("composer").onsubmit = (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !state.active) return;
  $("text").value = "";
  state.lastTypingSent = 0;
  void submitText(text).catch(showError);
};

$("compose-cancel").onclick = () => {
  if (state.compose?.mode === "edit") $("text").value = "";
  setCompose(null);
};

$("pins-button").onclick = () => {
  const open = $("pins-panel").hidden;
  showPinsPanel(open);
  if (open) void loadPins().catch(showError);
};

$("clear-button").onclick = () => {
  const conversationId = state.active;
  const last = state.messages.findLast((m) => !m.pending)?.seq ?? 0;
  if (!conversationId || last === 0) return;
  if (!confirm("Clear this conversation for you? Others keep their messages.")) return;
  state.client.clear(conversationId, last).catch(showError);
};

$("forward-form").onsubmit = (event) => {
  event.preventDefault();
  $("forward-dialog").close();
  void forwardChecked().catch(showError);
};

$("forward-cancel").onclick = () => {
  state.forwarding = null;
  $("forward-dialog").close();
};

$("search-form").onsubmit = (event) => {
  event.preventDefault();
  const text = $("search-input").value.trim();
  if (text)
    void search(text).catch((error) => {
      $("search-status").textContent = error.message;
    });
};

$("search-close").onclick = () => {
  $("search-box").hidden = true;
  $("search-results").replaceChildren();
};

$("text").oninput = () => {
  if (!state.active || !$("text").value || Date.now() - state.lastTypingSent < 2000) return;
  if (state.client.typing(targetOf(state.active))) state.lastTypingSent = Date.now();
};

/**
 * `POST /files` with XMLHttpRequest: fetch() reports no upload progress. The bar shows the
 * share of bytes sent; a 401 refreshes the tokens and sends the file once more.
 */
function uploadWithProgress(file, mime, conversationId, retry = true) {
  const bar = $("upload-progress");
  bar.value = 0;
  bar.max = file.size || 1;
  bar.hidden = false;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    // For a conversation: with LUCKY_IM_FILE_ACCESS=members only its members may download it.
    const query = new URLSearchParams({ name: file.name, conversationId });
    xhr.open("POST", `/files?${query}`);
    xhr.setRequestHeader("content-type", mime);
    if (state.auth) xhr.setRequestHeader("authorization", `Bearer ${state.auth.accessToken}`);
    xhr.upload.onprogress = (event) => {
      bar.value = event.loaded;
      bar.title = `${Math.round((100 * event.loaded) / (event.total || 1))}%`;
    };
    xhr.onerror = () => {
      bar.hidden = true;
      reject(new Error("the upload failed: network error"));
    };
    xhr.onload = () => {
      bar.hidden = true;
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {}
      if (xhr.status === 401 && retry && state.auth) {
        refreshTokens()
          .then(() => uploadWithProgress(file, mime, conversationId, false))
          .then(resolve, reject);
        return;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const error = new Error(data?.error?.message || `HTTP ${xhr.status}`);
      error.code = data?.error?.code;
      reject(error);
    };
    xhr.send(file);
  });
}

$("file-input").onchange = async () => {
  const file = $("file-input").files[0];
  $("file-input").value = "";
  if (!file || !state.active) return;
  try {
    const mime = file.type || "application/octet-stream";
    const stored = await uploadWithProgress(file, mime, state.active);
    const kind = mime.startsWith("image/")
      ? "image"
      : mime.startsWith("video/")
        ? "video"
        : mime.startsWith("audio/")
          ? "voice"
          : "file";
    await send({
      type: kind,
      url: stored.url,
      name: file.name,
      size: stored.size,
      mime: stored.mime,
      ...(stored.thumbnailUrl ? { thumbnailUrl: stored.thumbnailUrl } : {}),
      ...(stored.width ? { width: stored.width, height: stored.height } : {}),
      // Voice and video: the duration the server read from the file's headers, when it could.
      ...(Number.isInteger(stored.durationMs) && (kind === "voice" || kind === "video")
        ? { durationMs: stored.durationMs }
        : {}),
    });
  } catch (error) {
    showError(error);
  }
};

$("load-older").onclick = () => void loadOlder().catch(showError);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.active) {
    markRead();
    void renderConversations();
  }
});

if (state.auth) {
  enterChat().catch(() => forget());
} else {
  $("auth-view").hidden = false;
  $("username").focus();
}
