import { $ } from "./dom.js";
import { state } from "./state.js";
import { STRINGS } from "./strings.js";

export async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (state.visitor) headers.Authorization = `Bearer ${state.visitor.token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && state.visitor) {
    localStorage.removeItem("webchat.visitor");
    state.visitor = null;
    await ensureVisitor();
    return api(path, options);
  }
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

export async function ensureVisitor() {
  const saved = localStorage.getItem("webchat.visitor");
  if (saved) { state.visitor = JSON.parse(saved); return; }
  const language = STRINGS[$("language").value] ? $("language").value : null;
  const { status, body } = await api("/webchat/api/visitors", {
    method: "POST", body: JSON.stringify({ language }),
  });
  if (status !== 201) throw new Error(body.detail || "could not start a chat");
  state.visitor = body;
  localStorage.setItem("webchat.visitor", JSON.stringify(body));
}
