// The agent console. API: docs/desk-api.md. All server text is set with textContent.
// The entry module: it only wires the page to the other modules (no build step; the
// browser loads them by their relative imports).
import { act, sendText } from "./actions.js";
import { logOut } from "./api.js";
import { $ } from "./dom.js";
import { enter, logIn } from "./login.js";
import { choosePresence } from "./presence.js";
import { refresh, tick } from "./queue.js";
import { state } from "./state.js";
import { transfer } from "./transfer.js";

function start() {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", () => logOut());
  $("presence").addEventListener("change", choosePresence);
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
  $("transfer").addEventListener("click", transfer);
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
