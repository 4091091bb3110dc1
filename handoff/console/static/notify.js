// While the tab is hidden, new queued sessions and new user messages count in the tab's
// title and raise a browser notification (permission is asked on the agent's first
// click: browsers only grant it on a user gesture).
import { t } from "./texts.js";

let unread = 0;
let knownQueue = null; // ids seen in the queue; null until the first list arrives
let onOpen = () => {};

export function showTitle() {
  document.title = unread ? `(${unread}) ${t("title")}` : t("title");
}

export function askPermission() {
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
}

function alert(title, body, sessionId) {
  if (document.visibilityState === "visible") return;
  unread += 1;
  showTitle();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const note = new Notification(title, { body, tag: `session-${sessionId}` });
    note.onclick = () => { window.focus(); onOpen(sessionId); note.close(); };
  } catch {
    // Some browsers only notify from a service worker; the title still counts.
  }
}

export function queueSeen(sessions) {
  const ids = new Set(sessions.map((s) => s.id));
  if (knownQueue) {
    for (const s of sessions) {
      if (!knownQueue.has(s.id)) alert(t("new_session"), `${s.ticket} · ${s.summary || ""}`, s.id);
    }
  }
  knownQueue = ids;
}

export function userMessage(sessionId, message) {
  if (message.author !== "user" || message.kind === "note") return;
  alert(t("new_message"), message.text || "", sessionId);
}

export function wireNotifications(open) {
  onOpen = open;
  document.addEventListener("click", askPermission);
  document.addEventListener("keydown", askPermission);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible") return;
    unread = 0;
    showTitle();
  });
}

export function forgetQueue() {
  knownQueue = null;
  unread = 0;
  showTitle();
}
