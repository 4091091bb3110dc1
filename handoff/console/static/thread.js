import { api } from "./api.js";
import { $, el } from "./dom.js";
import { localTime } from "./format.js";
import { state } from "./state.js";

export function upsertMessage(message) {
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
    const link = el("a", "attachment");
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = `📎 ${message.attachment.name || "file"}`;
    node.append(link);
    showAttachment(message, link);
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
