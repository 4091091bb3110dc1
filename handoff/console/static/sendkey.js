// One send key for the reply and the note boxes, the agent's choice (remembered):
// Enter sends and Shift+Enter starts a new line, like the user's chat page; or
// Ctrl+Enter (⌘+Enter) sends and Enter starts a new line.
import { $ } from "./dom.js";
import { t } from "./texts.js";

const KEY = "console.sendKey";

export function sendKey() {
  return localStorage.getItem(KEY) === "ctrl" ? "ctrl" : "enter";
}

export function wantsSend(event) {
  if (event.key !== "Enter" || event.isComposing) return false; // an IME choosing a word
  if (event.ctrlKey || event.metaKey) return true;
  return sendKey() === "enter" && !event.shiftKey && !event.altKey;
}

export function wireSendKey(pairs) {
  const choice = $("send-key");
  choice.value = sendKey();
  choice.addEventListener("change", () => {
    localStorage.setItem(KEY, choice.value);
    showSendKey();
  });
  for (const [box, form] of pairs) {
    $(box).addEventListener("keydown", (event) => {
      if (!wantsSend(event)) return;
      event.preventDefault();
      $(form).requestSubmit();
    });
  }
}

// The reply box's hint names the key (it is replaced while the box is disabled).
export function replyHint() {
  return t(sendKey() === "ctrl" ? "reply_ctrl" : "reply_enter");
}

export function showSendKey() {
  const box = $("reply-text");
  if (!box.disabled) box.placeholder = replyHint();
}
