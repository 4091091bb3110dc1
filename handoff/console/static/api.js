// The desk API (docs/desk-api.md). A 401 from any call ends the session here, so
// logOut lives with the client rather than with the login form.
import { $ } from "./dom.js";
import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
  });
  if (response.status === 401 && path !== "/api/agent/login") {
    logOut("Your session has expired. Please log in again.");
    throw new ApiError(401, "logged out");
  }
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body.detail || response.statusText);
  return body;
}

export function logOut(message = "") {
  if (state.token) fetch("/api/agent/logout", { method: "POST", headers: { Authorization: `Bearer ${state.token}` } }).catch(() => {});
  state.token = null;
  sessionStorage.removeItem("console.token");
  if (state.socket) { state.socket.onclose = null; state.socket.close(); }
  $("main-view").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message;
}
