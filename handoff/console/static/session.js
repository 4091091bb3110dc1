import { api } from "./api.js";
import { $, el } from "./dom.js";
import { switchDrafts } from "./drafts.js";
import { human, isOverdue, localTime, statedTime } from "./format.js";
import { detailLabels, MONO, tagText } from "./labels.js";
import { replyHint } from "./sendkey.js";
import { showHistory } from "./search.js";
import { state } from "./state.js";
import { t, word } from "./texts.js";
import { upsertMessage } from "./thread.js";
import { textWithLinks } from "./links.js";

// The agent's last choice of session. A redraw (resetError false: a refresh, or after an
// action) that was asked for before it, or of a session the agent has left since, is
// stale when it returns: applied, it would switch the view, and the drafts, back.
let intent = 0;

export async function openSession(id, resetError = true) {
  const mine = resetError ? ++intent : intent;
  let detail;
  try {
    detail = await api(`/api/agent/sessions/${id}`);
  } catch (error) {
    if (mine !== intent) return;
    if (error.status === 404) { state.selected = null; $("session").hidden = true; $("placeholder").hidden = false; }
    return;
  }
  if (mine !== intent || (!resetError && state.selected?.id !== id)) return;
  const switched = !state.selected || state.selected.id !== id;
  const previous = state.selected?.id;
  state.selected = detail;
  state.activity.delete(id);
  if (resetError) $("action-error").textContent = "";
  document.querySelectorAll(".queue-item").forEach((item) => {
    item.classList.toggle("selected", item.dataset.sessionId === String(id));
    item.setAttribute("aria-selected", String(item.dataset.sessionId === String(id)));
    if (item.dataset.sessionId === String(id)) item.querySelector(".activity")?.remove();
  });
  $("placeholder").hidden = true;
  $("session").hidden = false;
  renderHeader(detail);
  renderDetails(detail);
  if (switched) {
    $("thread").replaceChildren();
    $("reply-error").textContent = "";
    switchDrafts(previous, id);
  }
  detail.messages.forEach(upsertMessage);
  showHistory(detail, openSession);
  // Canned replies and knowledge assist (canned.js, assist.js) follow the open session.
  document.dispatchEvent(new CustomEvent("session-opened", { detail: { session: detail, switched } }));
}

export function renderHeader(s) {
  $("session-title").textContent = `${s.ticket} · ${human(s.reason)}`;
  const meta = $("session-meta");
  meta.replaceChildren(
    el("span", `badge ${s.kind}`, word(s.kind)),
    el("span", `badge ${s.priority}`, word(s.priority)),
    el("span", "badge", s.language.toUpperCase()),
    el("span", "", `${word(s.state)} · ${s.channel}`),
    el("span", "", s.agent ? t("assigned_to", { name: s.agent.display_name }) : t("unassigned")),
    el("span", "", s.due_at ? t("sla", { time: localTime(s.due_at) }) : ""),
  );
  if (isOverdue(s)) meta.append(el("span", "badge overdue-badge", t("overdue")));
  for (const tag of s.tags || []) meta.append(el("span", "badge tag", tagText(tag)));
  const mine = s.state === "assigned" && s.agent && s.agent.id === state.me.id;
  $("claim").hidden = !(s.state === "queued" || s.state === "reopened");
  $("transfer").hidden = !mine;
  $("transfer-select").hidden = !mine;
  $("resolve").hidden = !mine;
  $("reopen").hidden = s.state !== "resolved";
  $("reply-text").disabled = !mine;
  $("reply-send").disabled = !mine;
  $("reply-text").placeholder = mine ? replyHint() : t("claim_to_reply");
  const select = $("transfer-select");
  // Rebuilt on every refresh and queue event: the colleague the agent picked stays picked.
  const chosen = select.value;
  select.replaceChildren();
  for (const agent of state.agents.filter((a) => a.id !== state.me.id)) {
    const option = el("option", "", t("agent_option", { name: agent.display_name, presence: t(`p_${agent.presence}`) }));
    option.value = String(agent.id);
    select.append(option);
  }
  if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
  if (!select.options.length) {
    const none = el("option", "", t("no_other_agent"));
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
  for (const [key, label] of Object.entries(detailLabels())) {
    let value = details[key];
    if (value == null) continue;
    if (key === "transfer_time") value = value.parsed ? `${value.raw} (${statedTime(value.parsed)})` : value.raw;
    const dd = el("dd");
    if (value === "unknown") {
      dd.className = "unknown";
      dd.textContent = t("didnt_know");
    } else {
      const text = el("span", MONO.has(key) ? "mono" : "", String(value));
      dd.append(text);
      if (MONO.has(key)) {
        const copy = el("button", "copy", t("copy"));
        copy.type = "button";
        copy.addEventListener("click", () => navigator.clipboard?.writeText(String(value)));
        dd.append(copy);
      }
    }
    list.append(el("dt", "", label), dd);
  }
  const check = details.chain_check;
  if (check) {
    const parts = [t("chain_status", { status: check.status.replace("_", " "), chain: check.chain })];
    if (check.confirmations != null) parts.push(t("confirmations", { n: check.confirmations }));
    if (check.amount) parts.push(`${check.amount} ${check.token || ""}`.trim());
    if (check.recipient) parts.push(t("to", { who: check.recipient }));
    if (check.fee) parts.push(t("fee", { fee: check.fee }));
    if (check.error) parts.push(check.error);
    parts.push(t("checked", { time: localTime(check.checked_at) }));
    list.append(el("dt", "", t("on_chain")), el("dd", `chain-${check.status}`, parts.join(" · ")));
  }
  if (!list.children.length) list.append(el("dd", "unknown", t("nothing_collected")));
  $("csat").textContent = s.csat ? t("user_rating", { stars: "★".repeat(s.csat) + "☆".repeat(5 - s.csat), n: s.csat }) : "";
  const transcript = $("transcript");
  transcript.replaceChildren();
  for (const line of s.payload.transcript || []) {
    const item = el("li");
    item.append(el("strong", "", `${t(line.role)}: `), ...(line.role === "user" ? textWithLinks(line.text) : [document.createTextNode(line.text)]));
    if (line.at) item.title = localTime(line.at);
    transcript.append(item);
  }
}
