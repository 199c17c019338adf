// The Lucky IM web chat: plain ES modules, no framework, built on @lucky-im/client.
import { createImClient, createLocalStorageCursorStore } from "/client.js";

const $ = (id) => document.getElementById(id);
const RECALL_WINDOW_MS = 120_000;
const PAGE = 30;

const state = {
  auth: JSON.parse(sessionStorage.getItem("lucky-im.auth") || "null"),
  client: null,
  conversations: new Map(), // conversationId -> summary
  names: new Map(), // userId -> username
  groups: new Map(), // groupId -> group
  active: null, // conversationId
  messages: [], // of the active conversation, ascending seq
  more: false,
  peerRead: 0,
  peerDelivered: 0,
  typingTimer: 0,
  lastTypingSent: 0,
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
      logout();
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
  const credentials = globalThis.crypto?.subtle
    ? { username, passwordJwe: await encryptPassword(password) }
    : { username, password };
  const tokens = await api("POST", "/auth/login", credentials, { retry: false });
  saveAuth({ ...tokens, username, expiresAt: Date.now() + tokens.expiresIn * 1000 });
}

function logout() {
  saveAuth(null);
  state.client?.close();
  location.reload();
}

// ------------------------------------------------------------------ names and titles

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

async function titleOf(conversationId) {
  if (conversationId.startsWith("g:")) {
    const groupId = conversationId.slice(2);
    if (!state.groups.has(groupId)) {
      try {
        state.groups.set(groupId, await api("GET", `/groups/${encodeURIComponent(groupId)}`));
      } catch {
        return `Group ${groupId}`;
      }
    }
    return `👥 ${state.groups.get(groupId).name}`;
  }
  const [, a, b] = conversationId.split(":");
  return nameOf(a === state.auth.userId ? b : a);
}

function targetOf(conversationId) {
  if (conversationId.startsWith("g:")) return { type: "group", id: conversationId.slice(2) };
  const [, a, b] = conversationId.split(":");
  return { type: "user", id: a === state.auth.userId ? b : a };
}

function directId(a, b) {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

function preview(message) {
  if (!message) return "";
  if (message.recalled) return "message recalled";
  const body = message.body;
  if (body.type === "text") return body.text;
  if (body.type === "location") return "📍 location";
  if (body.type === "custom") return "custom message";
  return `${body.type === "image" ? "🖼" : "📄"} ${body.name}`;
}

// ------------------------------------------------------------------ conversation list

async function loadConversations() {
  const list = await api("GET", "/conversations");
  for (const summary of list) {
    const known = state.conversations.get(summary.conversationId);
    state.conversations.set(summary.conversationId, { ...known, ...summary });
  }
  await renderConversations();
}

async function renderConversations() {
  const items = [...state.conversations.values()].sort(
    (x, y) => (y.lastMessage?.ts ?? 0) - (x.lastMessage?.ts ?? 0),
  );
  const ul = $("conversations");
  const rows = await Promise.all(
    items.map(async (c) => {
      c.title ??= await titleOf(c.conversationId);
      const li = document.createElement("li");
      li.dataset.conversationId = c.conversationId;
      li.className = c.conversationId === state.active ? "active" : "";
      const text = document.createElement("div");
      const title = document.createElement("strong");
      title.textContent = c.title;
      const last = document.createElement("div");
      last.className = "preview";
      last.textContent = preview(c.lastMessage);
      text.append(title, last);
      li.append(text);
      if (c.unread > 0 && c.conversationId !== state.active) {
        const badge = document.createElement("span");
        badge.className = "unread";
        badge.textContent = String(c.unread);
        li.append(badge);
      }
      li.onclick = () => openConversation(c.conversationId);
      return li;
    }),
  );
  ul.replaceChildren(...rows);
}

// ------------------------------------------------------------------ the chat view

async function openConversation(conversationId) {
  state.active = conversationId;
  state.messages = [];
  state.peerRead = 0;
  state.peerDelivered = 0;
  const summary = state.conversations.get(conversationId) ?? {
    conversationId,
    lastSeq: 0,
    unread: 0,
  };
  state.conversations.set(conversationId, summary);
  $("conversation-title").textContent = summary.title ?? (await titleOf(conversationId));
  $("composer").hidden = false;
  $("add-members").hidden = !conversationId.startsWith("g:");
  $("typing").textContent = "";
  await loadOlder();
  markRead();
  await renderConversations();
  $("text").focus();
}

async function loadOlder() {
  const conversationId = state.active;
  const oldest = state.messages[0]?.seq;
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (oldest !== undefined) query.set("beforeSeq", String(oldest));
  const page = await api(
    "GET",
    `/conversations/${encodeURIComponent(conversationId)}/messages?${query}`,
  );
  if (conversationId !== state.active) return;
  const known = new Set(state.messages.map((m) => m.messageId));
  const older = page.messages.filter((m) => !known.has(m.messageId)).reverse();
  state.messages = [...older, ...state.messages];
  state.more = page.more;
  renderMessages(oldest === undefined);
}

function addMessage(message) {
  if (state.messages.some((m) => m.messageId === message.messageId)) return;
  state.messages.push(message);
  state.messages.sort((x, y) => x.seq - y.seq);
  renderMessages(true);
}

function statusOf(message) {
  if (message.from !== state.auth.userId || message.recalled) return "";
  if (message.pending) return "sending…";
  if (state.peerRead >= message.seq) return "read";
  if (state.peerDelivered >= message.seq) return "delivered";
  return "sent";
}

function renderBody(message) {
  const body = message.body;
  if (message.recalled) return document.createTextNode("message recalled");
  if (body.type === "text") {
    const span = document.createElement("span");
    span.className = "text";
    span.textContent = body.text;
    return span;
  }
  if (body.type === "image") {
    const img = document.createElement("img");
    img.src = body.url;
    img.alt = body.name;
    return img;
  }
  if (body.type === "location")
    return document.createTextNode(`📍 ${body.label ?? ""} ${body.lat}, ${body.lng}`);
  if (body.type === "custom") return document.createTextNode(JSON.stringify(body.data));
  const link = document.createElement("a");
  link.href = body.url;
  link.textContent = `📄 ${body.name} (${Math.ceil(body.size / 1024)} KiB)`;
  link.target = "_blank";
  return link;
}

function renderMessages(scrollToEnd) {
  const ol = $("messages");
  const rows = state.messages.map((message) => {
    const li = document.createElement("li");
    const mine = message.from === state.auth.userId;
    li.className = `${mine ? "mine" : ""} ${message.recalled ? "recalled" : ""}`;
    li.dataset.seq = String(message.seq ?? "");
    li.dataset.messageId = message.messageId ?? "";
    const meta = document.createElement("div");
    meta.className = "meta";
    const who = document.createElement("span");
    who.textContent = mine ? "me" : (state.names.get(message.from) ?? message.from);
    const status = document.createElement("span");
    status.className = "status";
    status.textContent = statusOf(message);
    meta.append(who, status);
    if (
      mine &&
      !message.recalled &&
      !message.pending &&
      Date.now() - message.ts < RECALL_WINDOW_MS
    ) {
      const recall = document.createElement("button");
      recall.textContent = "recall";
      recall.className = "recall";
      recall.onclick = () => state.client.recall(message.messageId);
      meta.append(recall);
    }
    li.append(renderBody(message), meta);
    return li;
  });
  ol.replaceChildren(...rows);
  $("load-older").hidden = !state.more;
  if (scrollToEnd) ol.scrollTop = ol.scrollHeight;
}

function markRead() {
  const summary = state.conversations.get(state.active);
  const last = state.messages.at(-1)?.seq ?? 0;
  if (!summary || last === 0 || document.hidden) return;
  state.client.read(state.active, last);
  summary.unread = 0;
  summary.readSeq = last;
}

async function send(body) {
  const conversationId = state.active;
  const to = targetOf(conversationId);
  const local = {
    messageId: `local-${crypto.randomUUID()}`,
    from: state.auth.userId,
    body,
    ts: Date.now(),
    seq: Number.MAX_SAFE_INTEGER,
    pending: true,
    conversationId,
    to,
  };
  addMessage(local);
  try {
    const sent = await state.client.send(to, body);
    Object.assign(local, { messageId: sent.messageId, seq: sent.seq, ts: sent.ts, pending: false });
    const summary = state.conversations.get(conversationId);
    if (summary) {
      summary.lastSeq = Math.max(summary.lastSeq, sent.seq);
      summary.lastMessage = { ...local };
    }
    state.messages.sort((x, y) => x.seq - y.seq);
    if (conversationId === state.active) renderMessages(true);
    await renderConversations();
  } catch (error) {
    state.messages = state.messages.filter((m) => m !== local);
    renderMessages(false);
    showError(error);
  }
}

function showError(error) {
  $("chat-error").textContent = error?.message ?? String(error);
  setTimeout(() => {
    $("chat-error").textContent = "";
  }, 5000);
}

// ------------------------------------------------------------------ realtime

function onMessage(message) {
  const summary = state.conversations.get(message.conversationId);
  if (!summary) {
    void loadConversations();
  } else {
    summary.lastSeq = Math.max(summary.lastSeq, message.seq);
    if (!summary.lastMessage || summary.lastMessage.seq <= message.seq)
      summary.lastMessage = message;
    if (message.conversationId !== state.active && message.from !== state.auth.userId)
      summary.unread += 1;
  }
  if (message.conversationId === state.active) {
    void nameOf(message.from).then(() => {
      addMessage(message);
      if (message.from !== state.auth.userId) {
        $("typing").textContent = "";
        markRead();
      }
    });
  }
  void renderConversations();
}

function startClient() {
  const client = createImClient({
    cursorStore: createLocalStorageCursorStore({
      storage: localStorage,
      prefix: `lucky-im.cursors.${state.auth.userId}.`,
    }),
    device: { class: "web" },
  });
  state.client = client;
  client.on("state", (now) => {
    const badge = $("connection");
    badge.dataset.state = now;
    badge.textContent = now === "open" ? "online" : now;
  });
  client.on("message", onMessage);
  client.on("receipt", (receipt) => {
    if (receipt.conversationId !== state.active || receipt.userId === state.auth.userId) return;
    if (receipt.kind === "read") state.peerRead = Math.max(state.peerRead, receipt.seq);
    state.peerDelivered = Math.max(state.peerDelivered, receipt.seq);
    renderMessages(false);
  });
  client.on("recalled", (frame) => {
    const message = state.messages.find((m) => m.messageId === frame.messageId);
    if (message) {
      message.recalled = true;
      renderMessages(false);
    }
    const summary = state.conversations.get(frame.conversationId);
    if (summary?.lastMessage?.messageId === frame.messageId) summary.lastMessage.recalled = true;
    void renderConversations();
  });
  client.on("typing", (frame) => {
    if (frame.conversationId !== state.active || frame.from === state.auth.userId) return;
    void nameOf(frame.from).then((name) => {
      $("typing").textContent = `${name} is typing…`;
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => {
        $("typing").textContent = "";
      }, 3000);
    });
  });
  client.on("group", (frame) => {
    state.groups.delete(frame.groupId);
    const summary = state.conversations.get(`g:${frame.groupId}`);
    if (summary) summary.title = undefined;
    void loadConversations();
  });
  client.on("error", (error) => console.warn("[lucky-im]", error.message));
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return client.connect({
    url: `${scheme}://${location.host}/ws`,
    getToken: async () => {
      if (state.auth.expiresAt - Date.now() < 30_000) await refreshTokens();
      return state.auth.accessToken;
    },
  });
}

// ------------------------------------------------------------------ wiring

async function enterChat() {
  const me = await api("GET", "/users/me");
  saveAuth({ ...state.auth, userId: me.userId, username: me.username });
  state.names.set(me.userId, me.username);
  $("me").textContent = me.username;
  $("auth-view").hidden = true;
  $("chat-view").hidden = false;
  await startClient();
  await loadConversations();
}

async function userIdOf(username) {
  const user = await api("GET", `/users/by-name/${encodeURIComponent(username.trim())}`);
  state.names.set(user.userId, user.username);
  return user.userId;
}

$("auth-form").onsubmit = async (event) => {
  event.preventDefault();
  $("auth-error").textContent = "";
  try {
    await login($("username").value.trim(), $("password").value);
    await enterChat();
  } catch (error) {
    $("auth-error").textContent = error.message;
  }
};

$("register-button").onclick = async () => {
  $("auth-error").textContent = "";
  const form = $("auth-form");
  if (!form.reportValidity()) return;
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
};

$("new-chat").onsubmit = async (event) => {
  event.preventDefault();
  try {
    const userId = await userIdOf($("new-chat-username").value);
    $("new-chat-username").value = "";
    await openConversation(directId(state.auth.userId, userId));
  } catch (error) {
    showError(error);
  }
};

$("new-group").onsubmit = async (event) => {
  event.preventDefault();
  try {
    const names = $("new-group-members")
      .value.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const members = await Promise.all(names.map(userIdOf));
    const { groupId } = await api("POST", "/groups", {
      name: $("new-group-name").value.trim(),
      members,
    });
    $("new-group-name").value = "";
    $("new-group-members").value = "";
    await loadConversations();
    await openConversation(`g:${groupId}`);
  } catch (error) {
    showError(error);
  }
};

$("add-members").onsubmit = async (event) => {
  event.preventDefault();
  try {
    const names = $("add-members-input")
      .value.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const userIds = await Promise.all(names.map(userIdOf));
    await api("POST", `/groups/${encodeURIComponent(state.active.slice(2))}/members`, { userIds });
    $("add-members-input").value = "";
  } catch (error) {
    showError(error);
  }
};

$("composer").onsubmit = (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text || !state.active) return;
  $("text").value = "";
  void send({ type: "text", text });
};

$("text").oninput = () => {
  if (!state.active || Date.now() - state.lastTypingSent < 2000) return;
  state.lastTypingSent = Date.now();
  state.client.typing(targetOf(state.active));
};

$("file-input").onchange = async () => {
  const file = $("file-input").files[0];
  $("file-input").value = "";
  if (!file || !state.active) return;
  try {
    const mime = file.type || "application/octet-stream";
    const stored = await api("POST", `/files?name=${encodeURIComponent(file.name)}`, file, {
      raw: true,
      contentType: mime,
    });
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
    });
  } catch (error) {
    showError(error);
  }
};

$("load-older").onclick = () => void loadOlder();
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && state.active) markRead();
});

if (state.auth) enterChat().catch(() => logout());
