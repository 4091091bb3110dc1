// A callback ticket's panel beside the session: the number to dial (the only place the
// console shows it in full), the slot in the agent's time, and "Mark done" with what came
// of the call. Done resolves the ticket, so like Resolve it needs the session claimed.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { localTime } from "./format.js";
import { state } from "./state.js";

const TEXT = {
  en: {
    heading: "Callback", number: "Number", slot: "Slot", state: "State", booked: "to call",
    done: "done", outcome: "What came of the call (kept as a note)", mark: "Mark done",
    copy: "Copy", claim: "Claim the session to mark it done", lost: "not on record: ask the user",
    failed: (why) => `The callback could not be read: ${why}`,
  },
  zh: {
    heading: "回电预约", number: "电话号码", slot: "时间", state: "状态", booked: "待回电",
    done: "已完成", outcome: "通话结果（会作为备注保存）", mark: "标记已回电",
    copy: "复制", claim: "认领会话后才能标记完成", lost: "没有记录，请向用户询问",
    failed: (why) => `无法读取回电预约：${why}`,
  },
};
const t = () => TEXT[lang()];
let shown = null; // the session the panel is for
let drawn = ""; // what it shows: redrawn only when that changes (refreshes come often)
const drafts = new Map(); // session id: the outcome typed so far

function row(list, label, ...value) {
  const dd = el("dd");
  dd.append(...value);
  list.append(el("dt", "", label), dd);
}

function render(session, record) {
  const panel = $("callback");
  const mine = session.state === "assigned" && session.agent && session.agent.id === state.me.id;
  const key = JSON.stringify([session.id, mine, record]);
  if (key === drawn) return;
  drawn = key;
  const list = el("dl", "callback-details");
  const number = el("a", "mono callback-number", record.number || t().lost);
  if (record.e164) number.href = `tel:${record.e164}`;
  const copy = el("button", "copy", t().copy);
  copy.type = "button";
  copy.addEventListener("click", () => navigator.clipboard?.writeText(record.number || ""));
  row(list, t().number, number, ...(record.number ? [copy] : []));
  row(list, t().slot, document.createTextNode(`${localTime(record.slot_start)} – ${localTime(record.slot_end)}`));
  const status = record.state === "done" ? `${t().done}: ${record.outcome}` : t().booked;
  row(list, t().state, el("span", `callback-state ${record.state}`, status));
  panel.replaceChildren(el("h3", "", t().heading), list);
  if (record.state !== "booked") return;
  const form = el("form", "composer callback-form");
  const box = el("textarea");
  box.id = "callback-outcome";
  box.rows = 2;
  box.maxLength = 4000;
  box.placeholder = t().outcome;
  box.value = drafts.get(session.id) || "";
  box.addEventListener("input", () => drafts.set(session.id, box.value));
  const button = el("button", "primary", t().mark);
  button.id = "callback-done";
  button.type = "submit";
  box.disabled = button.disabled = !mine;
  button.title = mine ? "" : t().claim;
  const error = el("p", "error");
  error.setAttribute("role", "alert");
  form.append(box, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!box.value.trim()) return;
    error.textContent = "";
    try {
      await api(`/api/agent/sessions/${session.id}/callback/done`, {
        method: "POST", body: JSON.stringify({ outcome: box.value }),
      });
      drafts.delete(session.id);
      document.dispatchEvent(new CustomEvent("session-changed", { detail: { id: session.id } }));
    } catch (failure) {
      error.textContent = failure.message;
    }
  });
  panel.append(form, error);
}

async function show(session) {
  const panel = $("callback");
  shown = session.id;
  if (session.reason !== "callback" && !(session.tags || []).includes("callback")) {
    drawn = "";
    panel.hidden = true;
    panel.replaceChildren();
    return;
  }
  panel.hidden = false;
  try {
    const record = await api(`/api/agent/sessions/${session.id}/callback`);
    if (shown === session.id) render(session, record);
  } catch (failure) {
    if (shown === session.id) panel.replaceChildren(el("p", "error", t().failed(failure.message)));
  }
}

export function initCallback(reopen) {
  const panel = el("section", "callback");
  panel.id = "callback";
  panel.hidden = true;
  document.querySelector("#session .right").prepend(panel);
  document.addEventListener("session-opened", (event) => show(event.detail.session));
  document.addEventListener("session-changed", (event) => reopen(event.detail.id));
}
