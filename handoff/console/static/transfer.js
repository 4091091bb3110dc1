// Transfer: a colleague who is away or offline would not see the chat, so the server
// refuses it (409) unless the agent confirms; disabled agents are refused (422).
import { act } from "./actions.js";
import { $ } from "./dom.js";
import { lang } from "./i18n.js";
import { state } from "./state.js";

const TEXT = {
  en: {
    away: (name) => `${name} is away and may not see this chat. Transfer anyway?`,
    offline: (name) => `${name} is offline (no console open) and won't see this chat. Transfer anyway?`,
  },
  zh: {
    away: (name) => `${name} 当前为离开状态，可能看不到这个会话。仍要转接吗？`,
    offline: (name) => `${name} 当前离线（没有打开控制台），看不到这个会话。仍要转接吗？`,
  },
};

export async function transfer() {
  const agentId = Number($("transfer-select").value);
  const target = state.agents.find((agent) => agent.id === agentId);
  const presence = target ? target.presence : "online";
  if (presence !== "online") {
    if (!window.confirm(TEXT[lang()][presence === "offline" ? "offline" : "away"](target.display_name))) return;
    await act("transfer", { agent_id: agentId, away_ok: true });
    return;
  }
  await act("transfer", { agent_id: agentId });
}
