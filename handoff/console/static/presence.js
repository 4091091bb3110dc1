import { api } from "./api.js";
import { $ } from "./dom.js";
import { state } from "./state.js";

export async function loadAgents() {
  state.agents = (await api("/api/agent/agents")).agents;
}

export async function choosePresence() {
  state.me = await api("/api/agent/presence", { method: "PUT", body: JSON.stringify({ presence: $("presence").value }) });
}
