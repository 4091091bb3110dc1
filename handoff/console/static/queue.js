import { api } from "./api.js";
import { $, el } from "./dom.js";
import { filterQuery } from "./filters.js";
import { dueText, duration, human, isOverdue, localTime, waited } from "./format.js";
import { tagText } from "./labels.js";
import { queueSeen } from "./notify.js";
import { focusedItemId, makeFocusable } from "./queuekeys.js";
import { openSession } from "./session.js";
import { state } from "./state.js";
import { t, word } from "./texts.js";
import { refreshRouting } from "./team.js";

export async function refresh() {
  const [list, queue, mine] = await Promise.all([
    api(`/api/agent/sessions?view=${state.view}${filterQuery()}`),
    state.view === "queue" ? null : api("/api/agent/sessions?view=queue"),
    state.view === "mine" ? null : api("/api/agent/sessions?view=mine"),
  ]);
  state.sessions = list.sessions;
  $("view-queue").querySelector(".count").textContent = String((queue || list).sessions.length || "");
  $("view-mine").querySelector(".count").textContent = String((mine || list).sessions.length || "");
  queueSeen((queue || list).sessions);
  // Whose user messages count while the tab is hidden: my sessions and the waiting ones.
  state.watched = new Set([...(queue || list).sessions, ...(mine || list).sessions].map((s) => s.id));
  renderQueue();
  refreshRouting().catch(() => {});
  if (state.selected) await openSession(state.selected.id, false);
}

let refreshPending = null;
export function refreshSoon() {
  clearTimeout(refreshPending);
  refreshPending = setTimeout(() => refresh().catch(() => {}), 200);
}

function renderQueue() {
  const box = $("queue");
  const focused = focusedItemId();
  box.replaceChildren();
  if (!state.sessions.length) {
    box.append(el("p", "empty", state.view === "queue" ? t("nobody_waiting") : t("nothing_here")));
    return;
  }
  for (const session of state.sessions) {
    const item = el("div", "queue-item");
    item.dataset.sessionId = String(session.id);
    if (state.selected && state.selected.id === session.id) item.classList.add("selected");
    if (isOverdue(session)) item.classList.add("overdue");
    const line = el("div", "line");
    line.append(
      el("span", "ticket", session.ticket),
      el("span", `badge ${session.kind}`, word(session.kind)),
      el("span", `badge ${session.priority}`, word(session.priority)),
      el("span", "badge", session.language.toUpperCase()),
      el("span", "reason", human(session.reason)),
    );
    if (isOverdue(session)) line.append(el("span", "badge overdue-badge", t("overdue")));
    for (const tag of session.tags || []) line.append(el("span", "badge tag", tagText(tag)));
    const times = el("div", "times");
    times.dataset.role = "times";
    const summary = el("div", "summary", session.summary);
    item.append(line, times, summary);
    if (state.activity.has(session.id)) item.append(el("span", "activity"));
    item.addEventListener("click", () => openSession(session.id));
    box.append(item);
  }
  makeFocusable(focused);
  tick();
}

export function tick() {
  for (const item of document.querySelectorAll(".queue-item")) {
    const session = state.sessions.find((s) => String(s.id) === item.dataset.sessionId);
    if (!session) continue;
    const parts = [t("waiting", { time: duration(waited(session)) })];
    const due = dueText(session);
    if (due) parts.push(`${due} (${localTime(session.due_at)})`);
    if (session.agent) parts.push(`→ ${session.agent.display_name}`);
    if (session.csat) parts.push(t("rated", { n: session.csat }));
    item.querySelector("[data-role=times]").textContent = parts.join(" · ");
  }
}
