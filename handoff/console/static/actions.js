import { api } from "./api.js";
import { $ } from "./dom.js";
import { dropDraft } from "./drafts.js";
import { refresh } from "./queue.js";
import { openSession } from "./session.js";
import { state } from "./state.js";
import { upsertMessage } from "./thread.js";

export async function act(path, body) {
  $("action-error").textContent = "";
  const id = state.selected.id;
  try {
    await api(`/api/agent/sessions/${id}/${path}`, { method: "POST", body: body ? JSON.stringify(body) : undefined });
  } catch (error) {
    $("action-error").textContent = error.message;
  }
  await refresh();
  await openSession(id, false);
}

export async function sendText(event, path, box) {
  event.preventDefault();
  const text = $(box).value;
  if (!text.trim() || !state.selected) return;
  // A refusal is shown next to the box it came from; the text stays there to fix.
  const error = $(box === "reply-text" ? "reply-error" : "note-error");
  const sessionId = state.selected.id;
  error.textContent = "";
  // The same id for every try of the same draft: pressing Send again after an error
  // (a gateway died mid-request) can't reach the user twice.
  const key = `${state.selected.id}:${path}`;
  state.drafts = state.drafts || {};
  if (state.drafts[key]?.text !== text) {
    state.drafts[key] = { text, id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` };
  }
  const client_id = state.drafts[key].id;
  try {
    const message = await api(`/api/agent/sessions/${sessionId}/${path}`, {
      method: "POST", body: JSON.stringify({ text, client_id }),
    });
    delete state.drafts[key];
    dropDraft(sessionId, box, text); // unless more was typed meanwhile
    // Only once the server has it, and only if the box still shows this session.
    if (state.selected?.id === sessionId) {
      if ($(box).value === text) {
        $(box).value = "";
        $(box).dispatchEvent(new Event("input")); // what watches the box (canned.js) sees it empty
      }
      upsertMessage(message);
    }
  } catch (failure) {
    if (state.selected?.id === sessionId) error.textContent = failure.message;
  }
}
