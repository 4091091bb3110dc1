import { logOut } from "./api.js";
import { $, el } from "./dom.js";
import { dueText, human } from "./format.js";
import { userMessage } from "./notify.js";
import { loadAgents } from "./presence.js";
import { refreshSoon } from "./queue.js";
import { openSession, renderHeader } from "./session.js";
import { state } from "./state.js";
import { t } from "./texts.js";
import { upsertMessage } from "./thread.js";

export function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the first frame, never in the URL (URLs are logged).
  const socket = new WebSocket(`${scheme}://${location.host}/api/agent/ws`);
  state.socket = socket;
  const status = $("connection");
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: "auth", token: state.token }));
    state.retry = 0;
    status.dataset.state = "connected";
    status.textContent = t("live");
    refreshSoon(); // whatever happened while disconnected
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "ready") return; // authenticated and subscribed
    if (data.type === "message" || data.type === "delivery") {
      if (data.type === "message" && state.watched.has(data.session_id)) userMessage(data.session_id, data.message);
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
    status.textContent = t("reconnecting");
    if (event.code === 4401) { logOut(t("expired")); return; }
    if (!state.token) return;
    state.retryTimer = setTimeout(connect, Math.min(10000, 1000 * 2 ** state.retry++));
  };
}

// The tab or the network is back: try now instead of waiting out the back-off.
export function reconnectNow() {
  if (!state.token || !state.socket) return;
  if (state.socket.readyState === WebSocket.OPEN || state.socket.readyState === WebSocket.CONNECTING) {
    refreshSoon(); // events while the tab slept may have been missed
    return;
  }
  clearTimeout(state.retryTimer);
  state.retry = 0;
  connect();
}
