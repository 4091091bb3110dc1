import { api } from "./api.js";
import { $, el } from "./dom.js";
import { localTime } from "./format.js";
import { lang } from "./i18n.js";
import { textWithLinks } from "./links.js";
import { state } from "./state.js";
import { t } from "./texts.js";

export function upsertMessage(message) {
  const thread = $("thread");
  // Every refresh brings the whole thread again: a message drawn as it is stays untouched,
  // so the agent's scroll position, a selection, or the search's mark on it are kept.
  const drawn = JSON.stringify([message.text, message.delivery, message.delivery_error, message.id === state.found, lang()]);
  const old = thread.querySelector(`[data-id="${message.id}"]`);
  if (old?.dataset.drawn === drawn) return;
  const near = thread.scrollHeight - thread.scrollTop - thread.clientHeight < 48;
  old?.remove(); // a newer state of it (delivery)
  const node = el("div", `msg msg-${message.author}${message.kind === "note" ? " note" : ""}`);
  node.dataset.id = String(message.id);
  node.dataset.drawn = drawn;
  if (message.id === state.found) node.classList.add("found");
  let who = t(message.author);
  if (message.agent) who = message.agent.display_name;
  if (message.kind === "note") who = t("note_label", { who });
  const label = el("span", "who", who);
  label.append(el("span", "time", localTime(message.created_at)));
  node.append(label, ...(message.author === "user" ? textWithLinks(message.text) : [document.createTextNode(message.text)]));
  if (message.attachment) {
    const link = el("a", "attachment");
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = `📎 ${message.attachment.name || t("file")}`;
    node.append(link);
    showAttachment(message, link);
  }
  const text = deliveryText(message);
  if (text) node.append(el("span", `delivery ${message.delivery}`, text));
  const after = [...thread.children].find((child) => Number(child.dataset.id) > message.id);
  thread.insertBefore(node, after || null);
  // A new message is followed only by an agent reading the end (or who just wrote it);
  // one scrolled up to read earlier messages is not pulled down.
  if (!old && (near || message.author === "agent")) thread.scrollTop = thread.scrollHeight;
}

// What the agent should know of the message's delivery state (store/models.py). A reply
// on its way ("sending") needs no words; a dead letter asks the agent to step in.
function deliveryText(message) {
  switch (message.delivery) {
    case null: case undefined: case "sending": return "";
    case "undelivered": return t("undelivered", { why: message.delivery_error || t("unreachable") });
    case "dead": return message.author === "user" ? t("bot_failed") : t("dead", { why: message.delivery_error || t("platform_refused") });
    default: return t("failed", { why: message.delivery_error || t("platform_refused") });
  }
}

// A short-lived signed link (no session token in the URL); the server serves the
// file as what its bytes are, so an <img> only ever shows a real image.
async function showAttachment(message, link) {
  const { url } = await api(`/api/agent/media/${message.id}/link`).catch(() => ({}));
  if (!url) return;
  link.href = url;
  if (message.attachment.kind === "image") {
    const img = el("img");
    img.src = url;
    img.alt = message.attachment.name || "image";
    link.replaceChildren(img);
  }
}
