import { api } from "./api.js";
import { $ } from "./dom.js";
import { connect } from "./live.js";
import { loadAgents } from "./presence.js";
import { refresh } from "./queue.js";
import { state } from "./state.js";
import { t } from "./texts.js";

export async function logIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  $("login-button").disabled = true;
  try {
    const body = await api("/api/agent/login", {
      method: "POST",
      body: JSON.stringify({ email: $("email").value, password: $("password").value }),
    });
    state.token = body.token;
    sessionStorage.setItem("console.token", body.token);
    $("password").value = "";
    await enter();
  } catch (error) {
    $("login-error").textContent = error.status === 401 ? t("wrong_login") : error.message;
  } finally {
    $("login-button").disabled = false;
  }
}

export async function enter() {
  // Logging in or reloading keeps the presence the agent chose: only they change it.
  state.me = await api("/api/agent/me");
  $("agent-name").textContent = state.me.display_name;
  $("presence").value = state.me.chosen || state.me.presence;
  $("login-view").hidden = true;
  $("main-view").hidden = false;
  await loadAgents();
  await refresh();
  connect();
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(() => refresh().catch(() => {}), 30000);
}
