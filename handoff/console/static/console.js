// The agent console. API: docs/desk-api.md. All server text is set with textContent.
// The entry module: it only wires the page to the other modules (no build step; the
// browser loads them by their relative imports).
import { act, sendText } from "./actions.js";
import { setupAdmin } from "./admin.js";
import { initAnalytics } from "./analytics.js";
import { logOut, signOut } from "./api.js";
import { initAssist } from "./assist.js";
import { initCallback } from "./callback.js";
import { initCanned } from "./canned.js";
import { initCaseFile } from "./casefile.js";
import { initCannedPanel } from "./canned-panel.js";
import { initGaps } from "./gaps.js";
import { $ } from "./dom.js";
import { watchDrafts } from "./drafts.js";
import { wireLanguage } from "./language.js";
import { reconnectNow } from "./live.js";
import { setupKnowledge } from "./knowledge.js";
import { enter, logIn } from "./login.js";
import { wireNotifications } from "./notify.js";
import { choosePresence } from "./presence.js";
import { refresh, tick } from "./queue.js";
import { wireQueueKeys } from "./queuekeys.js";
import { wireSendKey } from "./sendkey.js";
import { startSearch } from "./search.js";
import { openSession } from "./session.js";
import { state } from "./state.js";
import { setupFilters } from "./filters.js";
import { setupTeam } from "./team.js";
import { transfer } from "./transfer.js";

function start() {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", () => signOut());
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
  wireSendKey([["reply-text", "reply-form"], ["note-text", "note-form"]]);
  watchDrafts(() => state.selected?.id);
  wireQueueKeys((id) => openSession(id));
  wireNotifications((id) => openSession(id));
  wireLanguage(() => state.token && refresh().catch(() => {}));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
  window.addEventListener("online", reconnectNow);
  startSearch(openSession);
  setupFilters(() => refresh().catch(() => {}));
  setupTeam();
  setupAdmin();
  setupKnowledge();
  initCanned();
  initCannedPanel();
  initAssist();
  initCaseFile();
  initCallback(async (id) => { await refresh(); await openSession(id, false); });
  initAnalytics();
  initGaps();
  setInterval(tick, 1000);
  if (state.token) enter().catch(() => logOut());
}

start();
