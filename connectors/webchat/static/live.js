import { api, renew } from "./api.js";
import { $ } from "./dom.js";
import { upsert } from "./messages.js";
import { setStatus } from "./page.js";
import { state } from "./state.js";
import { t } from "./strings.js";

// A push can be missed while the socket stays up (a gateway died between storing a
// reply and passing it on), and ids can commit out of order across gateways. So the
// page re-reads the last two minutes every 30 s; upsert() shows each message once.
const LOOKBACK_MS = 120000;
export const RESYNC_MS = 30000;

// The newest id old enough that everything before it has surely arrived.
function syncPoint() {
  const cutoff = Date.now() - LOOKBACK_MS;
  state.settled = state.settled.filter(([, at]) => at >= cutoff - LOOKBACK_MS);
  return Math.max(0, ...state.settled.filter(([, at]) => at < cutoff).map(([id]) => id), state.syncFloor || 0);
}

export async function catchUp() {
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

export function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // The token goes in the first frame, never in the URL (URLs are logged).
  const socket = new WebSocket(`${scheme}://${location.host}/webchat/ws`);
  state.socket = socket;
  socket.onopen = async () => {
    socket.send(JSON.stringify({ type: "auth", token: state.visitor.token }));
    state.retry = 0;
    setStatus("connected");
    await catchUp(); // anything pushed while we were away
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "message") upsert(data.message);
    else if (data.type === "resync") catchUp(); // the server may have missed events for us
  };
  socket.onclose = async (event) => {
    setStatus("reconnecting");
    if (event.code === 4401) await renew().catch(() => {}); // an expired token: renew first
    const delay = Math.min(10000, 1000 * 2 ** state.retry++);
    setTimeout(connect, delay);
  };
}
