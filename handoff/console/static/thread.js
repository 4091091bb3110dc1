import { api } from "./api.js";
import { $, el } from "./dom.js";
import { localTime } from "./format.js";
import { textWithLinks } from "./links.js";
import { state } from "./state.js";
import { t } from "./texts.js";

export function upsertMessage(message) {
  const thread = $("thread");
  thread.querySelector(`[data-id="${message.id}"]`)?.remove(); // a newer state of it (delivery)
  const node = el("div", `msg msg-${message.author}${message.kind === "note" ? " note" : ""}`);
  node.dataset.id = String(message.id);
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
  thread.scrollTop = thread.scrollHeight;
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
