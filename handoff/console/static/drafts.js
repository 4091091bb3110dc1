// Unsent text per session: the reply and note boxes are shared by every session, so
// switching sessions puts the old session's text away and brings back the new one's.
// Kept in sessionStorage, so a reload of the tab keeps them too.
import { $ } from "./dom.js";

const KEY = "console.drafts";
const BOXES = ["reply-text", "note-text"];

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "{}") || {};
  } catch {
    return {};
  }
}

function store(drafts) {
  sessionStorage.setItem(KEY, JSON.stringify(drafts));
}

export function keepDraft(sessionId, box, text) {
  const drafts = load();
  const key = `${sessionId}:${box}`;
  if (text) drafts[key] = text;
  else delete drafts[key];
  store(drafts);
}

export function dropDraft(sessionId, box, sent) {
  if (load()[`${sessionId}:${box}`] === sent) keepDraft(sessionId, box, "");
}

// Called once the new session is the selected one: the boxes then show its drafts.
export function switchDrafts(fromId, toId) {
  for (const box of BOXES) {
    if (fromId != null) keepDraft(fromId, box, $(box).value);
    $(box).value = load()[`${toId}:${box}`] || "";
  }
}

// Every keystroke is kept at once: a refresh or reload never loses a draft.
export function watchDrafts(selectedId) {
  for (const box of BOXES) {
    $(box).addEventListener("input", () => {
      const id = selectedId();
      if (id != null) keepDraft(id, box, $(box).value);
    });
  }
}

export function clearDrafts() {
  sessionStorage.removeItem(KEY);
}
