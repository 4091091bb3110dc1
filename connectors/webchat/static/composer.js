import { api } from "./api.js";
import { $ } from "./dom.js";
import { upsert } from "./messages.js";
import { showError } from "./page.js";
import { state } from "./state.js";
import { MAX_TEXT, STRINGS, t } from "./strings.js";

// A time the user gives ("yesterday 3 pm") is read in their own time zone.
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || null;

export async function send(text, title = null) {
  if (!text.trim()) return false;
  const language = STRINGS[$("language").value] ? $("language").value : null;
  state.sending = true;
  $("send").disabled = true;
  $("typing").hidden = false;
  // One id for every try of this message: a retry after a dropped connection (the
  // server may have stored it before dying) is then stored once.
  const client_id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    const post = () => api("/webchat/api/messages", {
      method: "POST", body: JSON.stringify({ text, language, title, client_id, timezone: ZONE }),
    });
    let response;
    for (let attempt = 0; ; attempt++) {
      try {
        response = await post();
        // 502-504: the load balancer lost the gateway it chose; another one answers.
        if (response.status < 502 || response.status > 504 || attempt >= 2) break;
      } catch (error) {
        if (attempt >= 2) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000 * (attempt + 1)));
    }
    const { status, body } = response;
    if (body.message) upsert(body.message);
    (body.replies || []).forEach(upsert);
    if (status !== 200) {
      showError(body.detail || t("failed"));
      // Kept by the server (too long, or stored but no new handoff allowed yet):
      // don't make them resend the same text.
      return status === 413 || (status === 429 && Boolean(body.message));
    }
    showError("");
    return true;
  } catch (error) {
    showError(t("failed"));
    return false;
  } finally {
    state.sending = false;
    $("send").disabled = false;
    $("typing").hidden = true;
  }
}

export function updateCounter() {
  const length = $("text").value.length;
  $("counter").hidden = length <= MAX_TEXT;
  $("counter").textContent = `${length} / ${MAX_TEXT} — ${t("tooLong")}`;
}

export async function submit(event) {
  event.preventDefault();
  const box = $("text");
  const text = box.value;
  if (!text.trim() || state.sending) return;
  if (await send(text)) {
    box.value = "";
    updateCounter();
  }
  box.focus();
}
