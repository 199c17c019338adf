// The admin page: logs in with the ordinary login route, then uses the /admin routes
// (docs/protocol.md, "Admin and moderation routes") with the access token in memory.

const $ = (id) => document.getElementById(id);
let token = "";
let reportsBefore = null;
let auditBefore = null;

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(data?.error?.message ?? `HTTP ${response.status}`);
  return data;
}

function item(text, ...buttons) {
  const li = document.createElement("li");
  const span = document.createElement("span");
  span.textContent = text;
  li.append(span, ...buttons);
  return li;
}

function button(label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

async function loadReports(more = false) {
  const query = new URLSearchParams({ status: "open", limit: "20" });
  if (more && reportsBefore !== null) query.set("before", String(reportsBefore));
  const { reports, next } = await call("GET", `/admin/reports?${query}`);
  if (!more) $("reports").replaceChildren();
  for (const report of reports) {
    const target =
      report.target.kind === "message"
        ? `message ${report.target.messageId} by ${report.target.userId}`
        : `user ${report.target.userId}`;
    const li = item(
      `#${report.reportId} ${report.reporterId} reported ${target}: ${report.reason}`,
      button("Resolve", () => resolve(report.reportId, "resolved")),
      button("Dismiss", () => resolve(report.reportId, "dismissed")),
      button("Suspend", () => {
        $("suspend-user").value = report.target.userId;
        $("suspend-reason").value = report.reason;
      }),
    );
    li.dataset.reportId = String(report.reportId);
    $("reports").append(li);
  }
  reportsBefore = next;
  $("reports-more").hidden = next === null;
}

async function loadAudit(more = false) {
  const query = new URLSearchParams({ limit: "20" });
  if (more && auditBefore !== null) query.set("before", String(auditBefore));
  const { entries, next } = await call("GET", `/admin/audit?${query}`);
  if (!more) $("audit").replaceChildren();
  for (const entry of entries) {
    const when = new Date(entry.at).toISOString().replace("T", " ").slice(0, 19);
    const li = item(
      `${when} ${entry.actorId} ${entry.action} ${entry.targetKind} ${entry.targetId}`,
    );
    li.dataset.action = entry.action;
    $("audit").append(li);
  }
  auditBefore = next;
  $("audit-more").hidden = next === null;
}

async function loadStats() {
  const stats = await call("GET", "/admin/stats");
  const connections = stats.nodes.reduce((sum, node) => sum + node.connections, 0);
  $("stats").textContent =
    `${stats.nodes.length} node(s), ${connections} connection(s), ` +
    `${stats.messagesPerMinute} message(s)/min, outbox backlog ${stats.outboxBacklog}`;
}

async function refresh() {
  await Promise.all([loadReports(), loadAudit(), loadStats()]);
}

async function resolve(reportId, status) {
  await call("POST", `/admin/reports/${reportId}/resolve`, { status });
  await refresh();
}

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    const login = await call("POST", "/auth/login", {
      username: $("username").value,
      password: $("password").value,
    });
    token = login.accessToken;
    const me = await call("GET", "/admin/me");
    $("me").textContent = $("username").value;
    $("me").dataset.userId = me.userId;
    $("login-form").hidden = true;
    $("panel").hidden = false;
    await refresh();
  } catch (error) {
    token = "";
    $("login-error").textContent = error.message;
  }
});

$("suspend-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const userId = $("suspend-user").value.trim();
  const reason = $("suspend-reason").value;
  const duration = $("suspend-duration").value;
  try {
    const suspension = await call("POST", `/admin/users/${encodeURIComponent(userId)}/suspension`, {
      kind: duration === "" ? "ban" : "suspend",
      ...(reason ? { reason } : {}),
      ...(duration === "" ? {} : { durationMs: Number(duration) }),
    });
    $("suspend-result").textContent =
      `${suspension.userId}: ${suspension.kind === "ban" ? "banned" : "suspended"}`;
    await refresh();
  } catch (error) {
    $("suspend-result").textContent = error.message;
  }
});

$("unsuspend-button").addEventListener("click", async () => {
  const userId = $("suspend-user").value.trim();
  try {
    const { lifted } = await call(
      "DELETE",
      `/admin/users/${encodeURIComponent(userId)}/suspension`,
    );
    $("suspend-result").textContent = lifted ? `${userId}: lifted` : `${userId} was not suspended`;
    await refresh();
  } catch (error) {
    $("suspend-result").textContent = error.message;
  }
});

$("reports-more").addEventListener("click", () => loadReports(true));
$("audit-more").addEventListener("click", () => loadAudit(true));
