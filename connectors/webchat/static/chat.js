// The web chat page: stands in for the in-app support chat. See docs/desk-api.md.
"use strict";

const MAX_TEXT = 4000;
const STRINGS = {
  en: { title: "Support", placeholder: "Type a message…", send: "Send", connected: "Online",
        connecting: "Connecting…", reconnecting: "Reconnecting…", agent: "Agent",
        bot: "Assistant", system: "", tooLong: "Too long: at most 4000 characters are read",
        welcome: "Hi! Ask me anything about your wallet, or type “human” to talk to an agent.",
        failed: "Couldn't send. Your text is still in the box; try again." },
  zh: { title: "在线客服", placeholder: "请输入消息…", send: "发送", connected: "在线",
        connecting: "连接中…", reconnecting: "正在重新连接…", agent: "人工客服",
        bot: "智能助手", system: "", tooLong: "消息太长：最多读取 4000 个字符",
        welcome: "您好！钱包使用中的任何问题都可以问我，输入“转人工”可联系人工客服。",
        failed: "发送失败，内容仍在输入框中，请重试。" },
  es: { title: "Soporte", placeholder: "Escribe un mensaje…", send: "Enviar", connected: "En línea",
        connecting: "Conectando…", reconnecting: "Reconectando…", agent: "Agente",
        bot: "Asistente", system: "", tooLong: "Demasiado largo: se leen como máximo 4000 caracteres",
        welcome: "¡Hola! Pregúntame lo que quieras sobre tu billetera, o escribe «agente» para hablar con una persona.",
        failed: "No se pudo enviar. Tu texto sigue en el cuadro; inténtalo de nuevo." },
};

const $ = (id) => document.getElementById(id);
const state = { visitor: null, socket: null, retry: 0, lastId: 0, sending: false, settled: [] };
// A push can be missed while the socket stays up (a gateway died between storing a
// reply and passing it on), and ids can commit out of order across gateways. So the
// page re-reads the last two minutes every 30 s; upsert() shows each message once.
const LOOKBACK_MS = 120000;
const RESYNC_MS = 30000;

function chosenLanguage() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (fromUrl && STRINGS[fromUrl]) return fromUrl;
  const stored = localStorage.getItem("webchat.language");
  if (stored) return stored;
  return "auto";
}

function uiLanguage() {
  const chosen = $("language").value;
  if (STRINGS[chosen]) return chosen;
  const nav = (navigator.language || "en").slice(0, 2);
  return STRINGS[nav] ? nav : "en";
}

function t(key) { return STRINGS[uiLanguage()][key]; }

function applyLanguage() {
  document.documentElement.lang = uiLanguage();
  $("title").textContent = t("title");
  $("text").placeholder = t("placeholder");
  $("send").textContent = t("send");
  setStatus($("status").dataset.state);
}

function setStatus(name) {
  $("status").dataset.state = name;
  $("status-text").textContent = t(name);
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (state.visitor) headers.Authorization = `Bearer ${state.visitor.token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && state.visitor) {
    localStorage.removeItem("webchat.visitor");
    state.visitor = null;
    await ensureVisitor();
    return api(path, options);
  }
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

async function ensureVisitor() {
  const saved = localStorage.getItem("webchat.visitor");
  if (saved) { state.visitor = JSON.parse(saved); return; }
  const language = STRINGS[$("language").value] ? $("language").value : null;
  const { status, body } = await api("/webchat/api/visitors", {
    method: "POST", body: JSON.stringify({ language }),
  });
  if (status !== 201) throw new Error(body.detail || "could not start a chat");
  state.visitor = body;
  localStorage.setItem("webchat.visitor", JSON.stringify(body));
}

// Text with clickable http(s) links, built from text nodes only (never innerHTML).
function linkify(element, text) {
  const pattern = /https?:\/\/[^\s<>"']+/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const url = match[0].replace(/[.,;:!?)）。，；]+$/, ""); // sentence punctuation is not the link
    element.append(document.createTextNode(text.slice(last, match.index)));
    const link = document.createElement("a");
    link.href = url;
    link.textContent = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    element.append(link);
    last = match.index + url.length;
  }
  element.append(document.createTextNode(text.slice(last)));
}

function render(message) {
  const element = document.createElement("div");
  element.className = `msg msg-${message.author}`;
  element.dataset.id = String(message.id);
  if (message.author === "agent" || message.author === "bot") {
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = t(message.author);
    element.append(who);
  }
  const body = document.createElement("span");
  body.className = "text";
  linkify(body, message.text || "");
  element.append(body);
  if (message.buttons && message.buttons.length) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const button of message.buttons) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "quick-reply";
      b.dataset.payload = button.payload;
      b.textContent = button.title;
      b.addEventListener("click", () => {
        row.querySelectorAll("button").forEach((x) => { x.disabled = true; });
        send(button.payload, button.title);
      });
      row.append(b);
    }
    element.append(row);
  }
  if (message.created_at) {
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = new Date(message.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    element.append(time);
  }
  return element;
}

// Every message goes through here, whichever way it arrived: shown once, in id order.
function upsert(message) {
  if (!message || message.id == null) return;
  const list = $("messages");
  if (list.querySelector(`[data-id="${message.id}"]`)) return;
  list.querySelector(".welcome")?.remove();
  const element = render(message);
  const after = [...list.children].find((child) => Number(child.dataset.id) > message.id);
  list.insertBefore(element, after || null);
  if (message.id > state.lastId) {
    // Quick replies answer the latest question only; older ones would be misread.
    for (const old of list.querySelectorAll(".msg")) {
      if (old !== element) old.querySelectorAll(".quick-reply").forEach((b) => { b.disabled = true; });
    }
  }
  state.lastId = Math.max(state.lastId, message.id);
  state.settled.push([message.id, Date.parse(message.created_at || "") || Date.now()]);
  list.scrollTop = list.scrollHeight;
}

// The newest id old enough that everything before it has surely arrived.
function syncPoint() {
  const cutoff = Date.now() - LOOKBACK_MS;
  state.settled = state.settled.filter(([, at]) => at >= cutoff - LOOKBACK_MS);
  return Math.max(0, ...state.settled.filter(([, at]) => at < cutoff).map(([id]) => id), state.syncFloor || 0);
}

async function catchUp() {
  const from = syncPoint();
  state.syncFloor = from;
  const { status, body } = await api(`/webchat/api/messages?after=${from}`);
  if (status === 200) body.messages.forEach(upsert);
  if (!$("messages").children.length) {
    const hello = document.createElement("div");
    hello.className = "msg msg-bot welcome";
    hello.textContent = t("welcome");
    $("messages").append(hello);
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/webchat/ws?token=${encodeURIComponent(state.visitor.token)}`);
  state.socket = socket;
  socket.onopen = async () => {
    state.retry = 0;
    setStatus("connected");
    await catchUp(); // anything pushed while we were away
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "message") upsert(data.message);
    else if (data.type === "resync") catchUp(); // the server may have missed events for us
  };
  socket.onclose = () => {
    setStatus("reconnecting");
    const delay = Math.min(10000, 1000 * 2 ** state.retry++);
    setTimeout(connect, delay);
  };
}

async function send(text, title = null) {
  if (!text.trim()) return false;
  const language = STRINGS[$("language").value] ? $("language").value : null;
  state.sending = true;
  $("send").disabled = true;
  $("typing").hidden = false;
  // One id for every try of this message: a retry after a dropped connection (the
  // server may have stored it before dying) is then stored once.
  const client_id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const post = () => api("/webchat/api/messages", {
      method: "POST", body: JSON.stringify({ text, language, title, client_id }),
    });
    let response;
    for (let attempt = 0; ; attempt++) {
      try {
        response = await post();
        // 502-504: the load balancer lost the gateway it chose; another one answers.
        if (response.status < 502 || response.status > 504 || attempt >= 2) break;
      } catch (error) {
        if (attempt >= 2) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
    const { status, body } = response;
    if (body.message) upsert(body.message);
    (body.replies || []).forEach(upsert);
    if (status !== 200) {
      showError(body.detail || t("failed"));
      return status === 413; // kept by the server: don't make them resend the same text
    }
    showError("");
    return true;
  } catch (error) {
    showError(t("failed"));
    return false;
  } finally {
    state.sending = false;
    $("send").disabled = false;
    $("typing").hidden = true;
  }
}

function updateCounter() {
  const length = $("text").value.length;
  $("counter").hidden = length <= MAX_TEXT;
  $("counter").textContent = `${length} / ${MAX_TEXT} — ${t("tooLong")}`;
}

async function submit(event) {
  event.preventDefault();
  const box = $("text");
  const text = box.value;
  if (!text.trim() || state.sending) return;
  if (await send(text)) {
    box.value = "";
    updateCounter();
  }
  box.focus();
}

async function start() {
  $("language").value = chosenLanguage();
  applyLanguage();
  $("language").addEventListener("change", () => {
    localStorage.setItem("webchat.language", $("language").value);
    applyLanguage();
  });
  $("composer").addEventListener("submit", submit);
  $("text").addEventListener("input", updateCounter);
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  try {
    await ensureVisitor();
  } catch (error) {
    showError(String(error.message || error));
    return;
  }
  await catchUp();
  connect();
  setInterval(() => { if (!document.hidden) catchUp().catch(() => {}); }, RESYNC_MS);
}

start();
