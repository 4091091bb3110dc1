// The message list. Quick replies call send() (composer.js), which imports upsert()
// from here: the two modules import each other, which is safe because neither uses
// the other until a message arrives or a button is clicked.
import { fileUrl } from "./api.js";
import { send } from "./composer.js";
import { $ } from "./dom.js";
import { state } from "./state.js";
import { t } from "./strings.js";

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

// A file the user sent: an image is shown, a PDF is saved on a click. Both are fetched
// with the visitor's token (an <img src> can't carry it, and URLs are logged).
function showFile(message) {
  const box = document.createElement("span");
  box.className = "file";
  const name = document.createElement("span");
  name.className = "file-name";
  name.textContent = message.file.name;
  if (message.file.kind === "image") {
    const img = document.createElement("img");
    img.className = "shot";
    img.alt = message.file.name;
    fileUrl(message.id).then((url) => { if (url) img.src = url; }).catch(() => {});
    box.append(img, name);
  } else {
    const open = document.createElement("button");
    open.type = "button";
    open.className = "file-open";
    open.textContent = t("openFile");
    open.addEventListener("click", async () => {
      // Saved, not opened in a tab: a blob page would run under this page's policy.
      const url = await fileUrl(message.id).catch(() => null);
      if (!url) return;
      const link = document.createElement("a");
      link.href = url;
      link.download = message.file.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    });
    box.append(name, open);
  }
  return box;
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
  if (message.file) {
    element.append(showFile(message));
  } else {
    const body = document.createElement("span");
    body.className = "text";
    linkify(body, message.text || "");
    element.append(body);
  }
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
export function upsert(message) {
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
