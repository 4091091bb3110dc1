// The desk API (docs/desk-api.md). A 401 from any call ends the session here, so
// logOut lives with the client rather than with the login form.
import { $ } from "./dom.js";
import { clearDrafts } from "./drafts.js";
import { forgetQueue } from "./notify.js";
import { state } from "./state.js";
import { t } from "./texts.js";

export class ApiError extends Error {
  constructor(status, detail) { super(typeof detail === "object" ? detail.message || JSON.stringify(detail) : detail); this.status = status; this.detail = detail; }
}

export async function api(path, options = {}) {
  const token = state.token;
  const login = path === "/api/agent/login";
  // A refresh timed before a logout finds no token: nothing to ask, nobody to log out.
  if (!token && !login) throw new ApiError(401, "logged out");
  const response = await fetch(path, {
    ...options,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
  });
  if (response.status === 401 && !login && token === state.token) {
    logOut(t("expired"));
    throw new ApiError(401, "logged out");
  }
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.detail || response.statusText);
  return body;
}

// The agent's own logout: away first (while the token still works), so nobody is sent
// to them or told they are online, then the token is dropped.
export async function signOut() {
  const token = state.token;
  if (!token) return;
  const headers = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
  await fetch("/api/agent/presence", { method: "PUT", headers, body: JSON.stringify({ presence: "away" }) }).catch(() => {});
  await fetch("/api/agent/logout", { method: "POST", headers }).catch(() => {});
  clearDrafts();
  state.token = null; // already logged out above
  logOut();
}

export function logOut(message = "") {
  if (state.token) fetch("/api/agent/logout", { method: "POST", headers: { Authorization: `Bearer ${state.token}` } }).catch(() => {});
  state.token = null;
  clearInterval(state.refreshTimer);
  clearTimeout(state.retryTimer);
  forgetQueue();
  sessionStorage.removeItem("console.token");
  if (state.socket) { state.socket.onclose = null; state.socket.close(); }
  $("main-view").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message;
}
