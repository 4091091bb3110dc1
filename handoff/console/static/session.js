import { api } from "./api.js";
import { $, el } from "./dom.js";
import { human, isOverdue, localTime } from "./format.js";
import { DETAIL_LABELS, MONO, TAGS } from "./labels.js";
import { state } from "./state.js";
import { upsertMessage } from "./thread.js";

export async function openSession(id, resetError = true) {
  let detail;
  try {
    detail = await api(`/api/agent/sessions/${id}`);
  } catch (error) {
    if (error.status === 404) { state.selected = null; $("session").hidden = true; $("placeholder").hidden = false; }
    return;
  }
  const switched = !state.selected || state.selected.id !== id;
  state.selected = detail;
  state.activity.delete(id);
  if (resetError) $("action-error").textContent = "";
  document.querySelectorAll(".queue-item").forEach((item) => {
    item.classList.toggle("selected", item.dataset.sessionId === String(id));
    if (item.dataset.sessionId === String(id)) item.querySelector(".activity")?.remove();
  });
  $("placeholder").hidden = true;
  $("session").hidden = false;
  renderHeader(detail);
  renderDetails(detail);
  if (switched) $("thread").replaceChildren();
  detail.messages.forEach(upsertMessage);
}

export function renderHeader(s) {
  $("session-title").textContent = `${s.ticket} · ${human(s.reason)}`;
  const meta = $("session-meta");
  meta.replaceChildren(
    el("span", `badge ${s.kind}`, s.kind),
    el("span", `badge ${s.priority}`, s.priority),
    el("span", "badge", s.language.toUpperCase()),
    el("span", "", `${s.state} · ${s.channel}`),
    el("span", "", s.agent ? `assigned to ${s.agent.display_name}` : "unassigned"),
    el("span", "", s.due_at ? `SLA ${localTime(s.due_at)}` : ""),
  );
  if (isOverdue(s)) meta.append(el("span", "badge overdue-badge", "overdue"));
  for (const tag of s.tags || []) meta.append(el("span", "badge tag", TAGS[tag] || tag));
  const mine = s.state === "assigned" && s.agent && s.agent.id === state.me.id;
  $("claim").hidden = !(s.state === "queued" || s.state === "reopened");
  $("transfer").hidden = !mine;
  $("transfer-select").hidden = !mine;
  $("resolve").hidden = !mine;
  $("reopen").hidden = s.state !== "resolved";
  $("reply-text").disabled = !mine;
  $("reply-send").disabled = !mine;
  $("reply-text").placeholder = mine
    ? "Reply to the user (Ctrl+Enter to send)"
    : "Claim this session to reply";
  const select = $("transfer-select");
  select.replaceChildren();
  for (const agent of state.agents.filter((a) => a.id !== state.me.id)) {
    const option = el("option", "", `${agent.display_name} (${agent.presence})`);
    option.value = String(agent.id);
    select.append(option);
  }
  if (!select.options.length) {
    const none = el("option", "", "no other agent");
    none.disabled = true;
    select.append(none);
  }
  $("transfer").disabled = !state.agents.some((a) => a.id !== state.me.id);
}

function renderDetails(s) {
  $("summary").textContent = s.payload.summary || s.summary || "";
  const list = $("details");
  list.replaceChildren();
  const details = s.payload.details || {};
  for (const [key, label] of Object.entries(DETAIL_LABELS)) {
    let value = details[key];
    if (value == null) continue;
    // The user's wall time with its offset, then the same moment in the agent's time.
    if (key === "transfer_time") value = value.parsed ? `${value.raw} (${value.parsed.replace("T", " ")}; ${localTime(value.parsed)} here)` : value.raw;
    const dd = el("dd");
    if (value === "unknown") {
      dd.className = "unknown";
      dd.textContent = "user didn't know";
    } else {
      const text = el("span", MONO.has(key) ? "mono" : "", String(value));
      dd.append(text);
      if (MONO.has(key)) {
        const copy = el("button", "copy", "copy");
        copy.type = "button";
        copy.addEventListener("click", () => navigator.clipboard?.writeText(String(value)));
        dd.append(copy);
      }
    }
    list.append(el("dt", "", label), dd);
  }
  const check = details.chain_check;
  if (check) {
    const parts = [`${check.status.replace("_", " ")} on ${check.chain}`];
    if (check.confirmations != null) parts.push(`${check.confirmations} confirmations`);
    if (check.amount) parts.push(`${check.amount} ${check.token || ""}`.trim());
    if (check.recipient) parts.push(`to ${check.recipient}`);
    if (check.fee) parts.push(`fee ${check.fee}`);
    if (check.error) parts.push(check.error);
    parts.push(`checked ${localTime(check.checked_at)}`);
    list.append(el("dt", "", "On-chain"), el("dd", `chain-${check.status}`, parts.join(" · ")));
  }
  if (!list.children.length) list.append(el("dd", "unknown", "nothing collected"));
  $("csat").textContent = s.csat ? `User rating: ${"★".repeat(s.csat)}${"☆".repeat(5 - s.csat)} (${s.csat}/5)` : "";
  const transcript = $("transcript");
  transcript.replaceChildren();
  for (const line of s.payload.transcript || []) {
    const item = el("li");
    item.append(el("strong", "", `${line.role}: `), document.createTextNode(line.text));
    if (line.at) item.title = localTime(line.at);
    transcript.append(item);
  }
}
