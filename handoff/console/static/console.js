// The agent console. API: docs/desk-api.md. All server text is set with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  token: sessionStorage.getItem("console.token"),
  me: null,
  view: "queue",
  sessions: [],
  selected: null, // SessionDetail
  agents: [],
  socket: null,
  retry: 0,
  activity: new Set(), // session ids with unseen messages
  refreshTimer: null,
};

const DETAIL_LABELS = {
  chain: "Network", token: "Token", amount: "Amount", tx_hash: "Tx hash",
  to_address: "To address", transfer_time: "Time", counterparty: "Counterparty",
  description: "Description",
};
const MONO = new Set(["tx_hash", "to_address", "counterparty"]);
const TAGS = {
  secret_shared: "shared a secret: make sure they moved their funds",
  scam_report: "reports a scam / fake support",
};

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
  });
  if (response.status === 401 && path !== "/api/agent/login") {
    logOut("Your session has expired. Please log in again.");
    throw new ApiError(401, "logged out");
  }
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.detail || response.statusText);
  return body;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function human(reason) { return (reason || "").replaceAll("_", " "); }

function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${seconds % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function localTime(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "";
}

function waited(session) {
  if (session.state === "queued" || session.state === "reopened") {
    const since = new Date(session.queued_at).getTime();
    return (Date.now() - since) / 1000;
  }
  return session.waiting_seconds;
}

function isOverdue(session) {
  if (session.state === "resolved" || !session.due_at) return false;
  return session.overdue || new Date(session.due_at).getTime() < Date.now();
}

function dueText(session) {
  if (!session.due_at || session.state === "resolved") return "";
  const left = (new Date(session.due_at).getTime() - Date.now()) / 1000;
  return left >= 0 ? `due in ${duration(left)}` : `overdue ${duration(-left)}`;
}

// --- login -------------------------------------------------------------------

async function logIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  $("login-button").disabled = true;
  try {
    const body = await api("/api/agent/login", {
      method: "POST",
      body: JSON.stringify({ email: $("email").value, password: $("password").value }),
    });
    state.token = body.token;
    sessionStorage.setItem("console.token", body.token);
    $("password").value = "";
    await enter();
  } catch (error) {
    $("login-error").textContent = error.status === 401 ? "Wrong email or password." : error.message;
  } finally {
    $("login-button").disabled = false;
  }
}

function logOut(message = "") {
  if (state.token) fetch("/api/agent/logout", { method: "POST", headers: { Authorization: `Bearer ${state.token}` } }).catch(() => {});
  state.token = null;
  sessionStorage.removeItem("console.token");
  if (state.socket) { state.socket.onclose = null; state.socket.close(); }
  $("main-view").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message;
}

async function enter() {
  state.me = await api("/api/agent/me");
  state.me = await api("/api/agent/presence", { method: "PUT", body: JSON.stringify({ presence: "online" }) });
  $("agent-name").textContent = state.me.display_name;
  $("presence").value = state.me.presence;
  $("login-view").hidden = true;
  $("main-view").hidden = false;
  await loadAgents();
  await refresh();
  connect();
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(() => refresh().catch(() => {}), 30000);
}

// --- lists --------------------------------------------------------------------

async function refresh() {
  const [list, queue, mine] = await Promise.all([
    api(`/api/agent/sessions?view=${state.view}`),
    state.view === "queue" ? null : api("/api/agent/sessions?view=queue"),
    state.view === "mine" ? null : api("/api/agent/sessions?view=mine"),
  ]);
  state.sessions = list.sessions;
  $("view-queue").querySelector(".count").textContent = String((queue || list).sessions.length || "");
  $("view-mine").querySelector(".count").textContent = String((mine || list).sessions.length || "");
  renderQueue();
  if (state.selected) await openSession(state.selected.id, false);
}

let refreshPending = null;
function refreshSoon() {
  clearTimeout(refreshPending);
  refreshPending = setTimeout(() => refresh().catch(() => {}), 200);
}

function renderQueue() {
  const box = $("queue");
  box.replaceChildren();
  if (!state.sessions.length) {
    box.append(el("p", "empty", state.view === "queue" ? "Nobody is waiting." : "Nothing here."));
    return;
  }
  for (const session of state.sessions) {
    const item = el("div", "queue-item");
    item.dataset.sessionId = String(session.id);
    if (state.selected && state.selected.id === session.id) item.classList.add("selected");
    if (isOverdue(session)) item.classList.add("overdue");
    const line = el("div", "line");
    line.append(
      el("span", "ticket", session.ticket),
      el("span", `badge ${session.kind}`, session.kind),
      el("span", `badge ${session.priority}`, session.priority),
      el("span", "badge", session.language.toUpperCase()),
      el("span", "reason", human(session.reason)),
    );
    if (isOverdue(session)) line.append(el("span", "badge overdue-badge", "overdue"));
    for (const tag of session.tags || []) line.append(el("span", "badge tag", TAGS[tag] || tag));
    const times = el("div", "times");
    times.dataset.role = "times";
    const summary = el("div", "summary", session.summary);
    item.append(line, times, summary);
    if (state.activity.has(session.id)) item.append(el("span", "activity"));
    item.addEventListener("click", () => openSession(session.id));
    box.append(item);
  }
  tick();
}

function tick() {
  for (const item of document.querySelectorAll(".queue-item")) {
    const session = state.sessions.find((s) => String(s.id) === item.dataset.sessionId);
    if (!session) continue;
    const parts = [`waiting ${duration(waited(session))}`];
    const due = dueText(session);
    if (due) parts.push(`${due} (${localTime(session.due_at)})`);
    if (session.agent) parts.push(`→ ${session.agent.display_name}`);
    if (session.csat) parts.push(`rated ${session.csat}/5`);
    item.querySelector("[data-role=times]").textContent = parts.join(" · ");
  }
}

// --- one session ----------------------------------------------------------------

async function openSession(id, resetError = true) {
  let detail;
  try {
    detail = await api(`/api/agent/sessions/${id}`);
  } catch (error) {
    if (error.status === 404) { state.selected = null; $("session").hidden = true; $("placeholder").hidden = false; }
    return;
  }
  const switched = !state.selected || state.selected.id !== id;
  state.selected = detail;
  state.activity.delete(id);
  if (resetError) $("action-error").textContent = "";
  document.querySelectorAll(".queue-item").forEach((item) => {
    item.classList.toggle("selected", item.dataset.sessionId === String(id));
    if (item.dataset.sessionId === String(id)) item.querySelector(".activity")?.remove();
  });
  $("placeholder").hidden = true;
  $("session").hidden = false;
  renderHeader(detail);
  renderDetails(detail);
  if (switched) $("thread").replaceChildren();
  detail.messages.forEach(upsertMessage);
}

function renderHeader(s) {
  $("session-title").textContent = `${s.ticket} · ${human(s.reason)}`;
  const meta = $("session-meta");
  meta.replaceChildren(
    el("span", `badge ${s.kind}`, s.kind),
    el("span", `badge ${s.priority}`, s.priority),
    el("span", "badge", s.language.toUpperCase()),
    el("span", "", `${s.state} · ${s.channel}`),
    el("span", "", s.agent ? `assigned to ${s.agent.display_name}` : "unassigned"),
    el("span", "", s.due_at ? `SLA ${localTime(s.due_at)}` : ""),
  );
  if (isOverdue(s)) meta.append(el("span", "badge overdue-badge", "overdue"));
  for (const tag of s.tags || []) meta.append(el("span", "badge tag", TAGS[tag] || tag));
  const mine = s.state === "assigned" && s.agent && s.agent.id === state.me.id;
  $("claim").hidden = !(s.state === "queued" || s.state === "reopened");
  $("transfer").hidden = !mine;
  $("transfer-select").hidden = !mine;
  $("resolve").hidden = !mine;
  $("reopen").hidden = s.state !== "resolved";
  $("reply-text").disabled = !mine;
  $("reply-send").disabled = !mine;
  $("reply-text").placeholder = mine
    ? "Reply to the user (Ctrl+Enter to send)"
    : "Claim this session to reply";
  const select = $("transfer-select");
  select.replaceChildren();
  for (const agent of state.agents.filter((a) => a.id !== state.me.id)) {
    const option = el("option", "", `${agent.display_name} (${agent.presence})`);
    option.value = String(agent.id);
    select.append(option);
  }
  if (!select.options.length) {
    const none = el("option", "", "no other agent");
    none.disabled = true;
    select.append(none);
  }
  $("transfer").disabled = !state.agents.some((a) => a.id !== state.me.id);
}

function renderDetails(s) {
  $("summary").textContent = s.payload.summary || s.summary || "";
  const list = $("details");
  list.replaceChildren();
  const details = s.payload.details || {};
  for (const [key, label] of Object.entries(DETAIL_LABELS)) {
    let value = details[key];
    if (value == null) continue;
    if (key === "transfer_time") value = value.parsed ? `${value.raw} (${localTime(value.parsed)})` : value.raw;
    const dd = el("dd");
    if (value === "unknown") {
      dd.className = "unknown";
      dd.textContent = "user didn't know";
    } else {
      const text = el("span", MONO.has(key) ? "mono" : "", String(value));
      dd.append(text);
      if (MONO.has(key)) {
        const copy = el("button", "copy", "copy");
        copy.type = "button";
        copy.addEventListener("click", () => navigator.clipboard?.writeText(String(value)));
        dd.append(copy);
      }
    }
    list.append(el("dt", "", label), dd);
  }
  const check = details.chain_check;
  if (check) {
    const parts = [`${check.status.replace("_", " ")} on ${check.chain}`];
    if (check.confirmations != null) parts.push(`${check.confirmations} confirmations`);
    if (check.amount) parts.push(`${check.amount} ${check.token || ""}`.trim());
    if (check.recipient) parts.push(`to ${check.recipient}`);
    if (check.fee) parts.push(`fee ${check.fee}`);
    if (check.error) parts.push(check.error);
    parts.push(`checked ${localTime(check.checked_at)}`);
    list.append(el("dt", "", "On-chain"), el("dd", `chain-${check.status}`, parts.join(" · ")));
  }
  if (!list.children.length) list.append(el("dd", "unknown", "nothing collected"));
  $("csat").textContent = s.csat ? `User rating: ${"★".repeat(s.csat)}${"☆".repeat(5 - s.csat)} (${s.csat}/5)` : "";
  const transcript = $("transcript");
  transcript.replaceChildren();
  for (const line of s.payload.transcript || []) {
    const item = el("li");
    item.append(el("strong", "", `${line.role}: `), document.createTextNode(line.text));
    if (line.at) item.title = localTime(line.at);
    transcript.append(item);
  }
}

function upsertMessage(message) {
  const thread = $("thread");
  thread.querySelector(`[data-id="${message.id}"]`)?.remove(); // a newer state of it (delivery)
  const node = el("div", `msg msg-${message.author}${message.kind === "note" ? " note" : ""}`);
  node.dataset.id = String(message.id);
  let who = { user: "User", bot: "Bot", agent: "Agent", system: "System" }[message.author];
  if (message.agent) who = message.agent.display_name;
  if (message.kind === "note") who = `Internal note — not visible to the user · ${who}`;
  const label = el("span", "who", who);
  label.append(el("span", "time", localTime(message.created_at)));
  node.append(label, document.createTextNode(message.text));
  if (message.attachment) {
    const url = `/api/agent/media/${message.id}?token=${encodeURIComponent(state.token)}`;
    const link = el("a", "attachment");
    link.href = url;
    link.target = "_blank";
    if (message.attachment.kind === "image") {
      const img = el("img");
      img.src = url;
      img.alt = message.attachment.name || "image";
      link.append(img);
    } else {
      link.textContent = `📎 ${message.attachment.name || "file"}`;
    }
    node.append(link);
  }
  if (message.delivery) {
    const text = message.delivery === "undelivered"
      ? `⏳ Not delivered yet (${message.delivery_error || "the user can't be reached"}). It goes out by itself when they write.`
      : `⚠ Delivery failed: ${message.delivery_error || "the platform refused it"}`;
    node.append(el("span", `delivery ${message.delivery}`, text));
  }
  const after = [...thread.children].find((child) => Number(child.dataset.id) > message.id);
  thread.insertBefore(node, after || null);
  thread.scrollTop = thread.scrollHeight;
}

// --- actions ----------------------------------------------------------------------

async function act(path, body) {
  $("action-error").textContent = "";
  const id = state.selected.id;
  try {
    await api(`/api/agent/sessions/${id}/${path}`, { method: "POST", body: body ? JSON.stringify(body) : undefined });
  } catch (error) {
    $("action-error").textContent = error.message;
  }
  await refresh();
  await openSession(id, false);
}

async function sendText(event, path, box) {
  event.preventDefault();
  const text = $(box).value;
  if (!text.trim() || !state.selected) return;
  $("action-error").textContent = "";
  // The same id for every try of the same draft: pressing Send again after an error
  // (a gateway died mid-request) can't reach the user twice.
  const key = `${state.selected.id}:${path}`;
  state.drafts = state.drafts || {};
  if (state.drafts[key]?.text !== text) {
    state.drafts[key] = { text, id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` };
  }
  const client_id = state.drafts[key].id;
  try {
    const message = await api(`/api/agent/sessions/${state.selected.id}/${path}`, {
      method: "POST", body: JSON.stringify({ text, client_id }),
    });
    delete state.drafts[key];
    $(box).value = ""; // only once the server has it
    upsertMessage(message);
  } catch (error) {
    $("action-error").textContent = error.message;
  }
}

async function loadAgents() {
  state.agents = (await api("/api/agent/agents")).agents;
}

// --- live updates -------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/agent/ws?token=${encodeURIComponent(state.token)}`);
  state.socket = socket;
  const status = $("connection");
  socket.onopen = () => {
    state.retry = 0;
    status.dataset.state = "connected";
    status.textContent = "live";
    refreshSoon(); // whatever happened while disconnected
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "message" || data.type === "delivery") {
      if (state.selected && (state.selected.id === data.session_id || state.selected.conversation_id === data.conversation_id)) {
        upsertMessage(data.message);
      } else {
        state.activity.add(data.session_id);
        document.querySelector(`.queue-item[data-session-id="${data.session_id}"]`)?.append(el("span", "activity"));
      }
    } else if (data.type === "reminder") {
      // Sent once per ticket, by whichever gateway ran the reminder job.
      const session = data.session;
      const button = $("reminder");
      button.textContent = `⏰ ${session.ticket} ${dueText(session)}: ${human(session.reason)}`;
      button.onclick = () => { button.hidden = true; openSession(session.id); };
      button.hidden = false;
      refreshSoon();
    } else if (data.type === "presence") {
      loadAgents().then(() => state.selected && renderHeader(state.selected)).catch(() => {});
    } else {
      refreshSoon();
    }
  };
  socket.onclose = (event) => {
    status.dataset.state = "reconnecting";
    status.textContent = "reconnecting…";
    if (event.code === 4401) { logOut("Your session has expired. Please log in again."); return; }
    if (!state.token) return;
    setTimeout(connect, Math.min(10000, 1000 * 2 ** state.retry++));
  };
}

// --- wiring -----------------------------------------------------------------------------

function start() {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", () => logOut());
  $("presence").addEventListener("change", async () => {
    state.me = await api("/api/agent/presence", { method: "PUT", body: JSON.stringify({ presence: $("presence").value }) });
  });
  for (const tab of document.querySelectorAll(".tabs button")) {
    tab.addEventListener("click", () => {
      state.view = tab.dataset.view;
      document.querySelectorAll(".tabs button").forEach((b) => b.classList.toggle("active", b === tab));
      refresh().catch(() => {});
    });
  }
  $("claim").addEventListener("click", () => act("claim"));
  $("resolve").addEventListener("click", () => act("resolve"));
  $("reopen").addEventListener("click", () => act("reopen"));
  $("transfer").addEventListener("click", () => act("transfer", { agent_id: Number($("transfer-select").value) }));
  $("reply-form").addEventListener("submit", (e) => sendText(e, "messages", "reply-text"));
  $("note-form").addEventListener("submit", (e) => sendText(e, "notes", "note-text"));
  for (const [box, form] of [["reply-text", "reply-form"], ["note-text", "note-form"]]) {
    $(box).addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $(form).requestSubmit();
    });
  }
  setInterval(tick, 1000);
  if (state.token) enter().catch(() => logOut());
}

start();
