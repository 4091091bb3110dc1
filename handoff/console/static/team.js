// Routing in the console: the caller's load (live chats / maximum) in the top bar, and
// for supervisors the team view: each agent's presence, load and languages, the
// auto-assignment switch, profile edits and "reassign all". API: docs/desk-api.md.
import { showAdmin } from "./admin.js";
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { state } from "./state.js";

const TEXT = {
  en: {
    load: "Load", over: "More chats than your maximum: claimed by hand or reassigned",
    online: "● online", away: "○ away", offline: "○ offline", stale: "(not seen lately)",
    save: "Save", saved: "Saved", reassign: "Reassign all to", none: "no other agent",
    moved: (n, name) => `${n} session(s) moved to ${name}`, max: "Max chats",
    release: "Release all", released: (n) => `${n} session(s) back in the queue`,
    team: "Team", title: "Team: presence and load", auto: "Auto-assign new chats", close: "Close",
    columns: ["Agent", "Presence", "Load", "Languages · max chats", "Reassign"],
  },
  zh: {
    load: "负载", over: "会话数已超过上限：手动认领或被转派",
    online: "● 在线", away: "○ 离开", offline: "○ 离线", stale: "（近期未连接）",
    save: "保存", saved: "已保存", reassign: "全部转派给", none: "没有其他客服",
    moved: (n, name) => `已将 ${n} 个会话转给 ${name}`, max: "最大会话数",
    release: "全部放回队列", released: (n) => `${n} 个会话已放回队列`,
    team: "团队", title: "团队：在线状态与负载", auto: "自动分配新会话", close: "关闭",
    columns: ["客服", "状态", "负载", "语言 · 最大会话数", "转派"],
  },
};
const LANGUAGES = ["zh", "en", "es"];

let open = false;
let timer = null;

export async function refreshRouting() {
  const me = await api("/api/agent/routing/me");
  const t = TEXT[lang()];
  const badge = $("my-load");
  badge.textContent = `${t.load} ${me.load}/${me.max_chats} · ${me.languages.map((l) => l.toUpperCase()).join(" ")}`;
  badge.classList.toggle("over", me.over_capacity);
  badge.title = me.over_capacity ? t.over : "";
  badge.hidden = false;
  // Supervisors and admins see the team; only admins change languages and capacity.
  $("team-open").hidden = !["supervisor", "admin"].includes(me.role);
  document.body.dataset.role = me.role;
  showAdmin(me.role);
  if (open) await renderTeam();
}

export function setupTeam() {
  const t = TEXT[lang()];
  $("team-open").textContent = t.team;
  $("team-title").textContent = t.title;
  $("auto-assign-label").textContent = t.auto;
  $("team-close").textContent = t.close;
  $("team-columns").replaceChildren(...t.columns.map((c) => el("th", "", c)));
  $("team-open").addEventListener("click", () => toggle(true));
  $("team-close").addEventListener("click", () => toggle(false));
  $("queue").addEventListener("click", () => toggle(false)); // a session was opened
  $("auto-assign").addEventListener("change", async (event) => {
    await act(async () => { await api("/api/agent/routing", { method: "PUT", body: JSON.stringify({ auto_assign: event.target.checked }) }); });
  });
}

async function toggle(show) {
  open = show;
  $("team").hidden = !show;
  $("conversation").classList.toggle("supervising", show);
  clearInterval(timer);
  if (show) {
    timer = setInterval(() => renderTeam().catch(() => {}), 10000); // presence changes too
    await renderTeam();
  }
}

// Runs a change; *call* returns what to tell the supervisor once it is done.
async function act(call) {
  $("team-error").textContent = "";
  $("team-status").textContent = "";
  try {
    $("team-status").textContent = (await call()) || "";
  } catch (error) {
    $("team-error").textContent = error.message;
  }
  await refreshRouting().catch(() => {});
  if (open) await renderTeam().catch(() => {});
}

async function renderTeam() {
  const [team, setting] = await Promise.all([api("/api/agent/routing/agents"), api("/api/agent/routing")]);
  $("auto-assign").checked = setting.auto_assign;
  const body = $("team-rows");
  const seen = new Set();
  for (const row of team.agents) {
    seen.add(String(row.agent.id));
    let tr = body.querySelector(`tr[data-agent-id="${row.agent.id}"]`);
    if (!tr) body.append((tr = newRow(row)));
    update(tr, row, team.agents);
  }
  for (const tr of [...body.children]) if (!seen.has(tr.dataset.agentId)) tr.remove();
}

// Inputs are built once per agent, so a refresh never undoes what the supervisor is typing.
function newRow(row) {
  const t = TEXT[lang()];
  const tr = el("tr");
  tr.dataset.agentId = String(row.agent.id);
  const name = el("td", "team-name", row.agent.display_name);
  const presence = el("td", "team-presence");
  const load = el("td", "team-load");
  const edit = el("td", "team-edit");
  for (const code of LANGUAGES) {
    const box = el("input");
    box.type = "checkbox";
    box.value = code;
    box.checked = row.languages.includes(code);
    const label = el("label", "team-language");
    label.append(box, document.createTextNode(code.toUpperCase()));
    edit.append(label);
  }
  const max = el("input", "team-max");
  max.type = "number";
  max.min = "1";
  max.value = String(row.max_chats);
  max.setAttribute("aria-label", t.max);
  const save = el("button", "", t.save);
  save.type = "button";
  save.addEventListener("click", () => act(async () => {
    await api(`/api/agent/routing/agents/${row.agent.id}`, {
      method: "PUT",
      body: JSON.stringify({
        languages: [...edit.querySelectorAll("input[type=checkbox]:checked")].map((b) => b.value),
        max_chats: Number(max.value),
      }),
    });
    return `${row.agent.display_name}: ${t.saved}`;
  }));
  edit.append(max, save);
  // The API allows profile changes to admins only: a supervisor sees them, read-only.
  const admin = document.body.dataset.role === "admin";
  for (const input of edit.querySelectorAll("input, button")) input.disabled = !admin;
  const move = el("td", "team-move");
  const select = el("select", "team-target");
  select.setAttribute("aria-label", t.reassign);
  const button = el("button", "", t.reassign);
  button.type = "button";
  button.addEventListener("click", () => {
    const target = select.selectedOptions[0];
    if (!target || !target.value) return;
    act(async () => {
      const moved = await api(`/api/agent/agents/${row.agent.id}/reassign`, { method: "POST", body: JSON.stringify({ to_agent: Number(target.value) }) });
      return t.moved(moved.sessions.length, target.textContent);
    });
  });
  const release = el("button", "team-release", t.release);
  release.type = "button";
  release.addEventListener("click", () => act(async () => {
    const moved = await api(`/api/agent/agents/${row.agent.id}/release`, { method: "POST" });
    return t.released(moved.sessions.length);
  }));
  move.append(button, select, release);
  tr.append(name, presence, load, edit, move);
  return tr;
}

function update(tr, row, everyone) {
  const t = TEXT[lang()];
  const presence = tr.querySelector(".team-presence");
  presence.textContent = `${t[row.agent.presence] || row.agent.presence}${row.agent.presence === "online" && !row.available ? ` ${t.stale}` : ""}`;
  presence.dataset.presence = row.available ? "online" : "away";
  const load = tr.querySelector(".team-load");
  load.textContent = `${row.load}/${row.max_chats}`;
  load.classList.toggle("over", row.over_capacity);
  load.title = row.over_capacity ? t.over : "";
  const select = tr.querySelector(".team-target");
  const keep = select.value;
  select.replaceChildren();
  for (const other of everyone.filter((a) => a.agent.id !== row.agent.id)) {
    const option = el("option", "", other.agent.display_name);
    option.value = String(other.agent.id);
    select.append(option);
  }
  if (!select.options.length) {
    const none = el("option", "", t.none);
    none.value = "";
    select.append(none);
  }
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  tr.querySelector(".team-move button").disabled = !select.options[0].value;
  tr.classList.toggle("me", state.me && state.me.id === row.agent.id);
}
