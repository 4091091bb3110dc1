// Canned replies in the reply box: "/" and a shortcut offer the team's replies, filled
// in by the server for the open session and in its language (docs/desk-api.md). A value
// the session lacks stays a [[marker]]: the hint below the box names it, and the server
// refuses a reply that still has one, so nothing goes out with a silent gap.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";

const TEXT = {
  en: {
    none: (q) => `No canned reply starts with /${q}`,
    fill: (names) => `Fill in ${names} before sending.`,
    fallback: (used, wanted) => `No ${wanted} variant: the ${used} one was inserted.`,
    guard: (why) => `The guard will refuse this as written: ${why}`,
    help: "↑↓ choose · Enter insert · Esc close",
  },
  zh: {
    none: (q) => `没有以 /${q} 开头的快捷回复`,
    fill: (names) => `发送前请填写 ${names}。`,
    fallback: (used, wanted) => `没有 ${wanted} 版本，已插入 ${used} 版本。`,
    guard: (why) => `按现在的内容发送会被拦截：${why}`,
    help: "↑↓ 选择 · Enter 插入 · Esc 关闭",
  },
};
const MARKER = /\[\[([a-z_]+)\]\]/g;
const SLASH = /(^|\s)\/([\p{L}\p{N}_-]*)$/u;

let replies = []; // FilledOut of the open session
let sessionId = null;
let matches = [];
let active = 0;
let notes = []; // what the last insert needs the agent to know (fallback, guard)
let language = "en"; // the open session's

const box = () => $("reply-text");
const t = () => TEXT[lang()];

export async function loadCanned(id) {
  sessionId = id;
  replies = [];
  try {
    const body = await api(`/api/agent/sessions/${id}/canned`);
    if (sessionId !== id) return;
    replies = body.replies;
    if (!$("canned-menu").hidden) update(); // typed before they arrived
  } catch { /* the box still works without them */ }
}

export function reloadCanned() {
  if (sessionId != null) loadCanned(sessionId).catch(() => {});
}

function slashToken() {
  const before = box().value.slice(0, box().selectionStart);
  const found = before.match(SLASH);
  return found ? { start: before.length - found[2].length - 1, query: found[2].toLowerCase() } : null;
}

function close() {
  $("canned-menu").hidden = true;
  matches = [];
}

function render(query) {
  const menu = $("canned-menu");
  menu.replaceChildren();
  if (!matches.length) {
    menu.append(el("li", "canned-empty", t().none(query)));
  }
  matches.forEach((reply, index) => {
    const item = el("li", index === active ? "canned-option active" : "canned-option");
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", String(index === active));
    item.append(el("strong", "", `/${reply.shortcut}`), el("span", "badge", reply.language.toUpperCase()));
    item.append(el("span", "canned-preview", reply.text));
    // mousedown, not click: the box must keep its focus and caret.
    item.addEventListener("mousedown", (event) => { event.preventDefault(); pick(reply); });
    menu.append(item);
  });
  if (matches.length) menu.append(el("li", "canned-help", t().help));
  menu.hidden = false;
}

function update() {
  const token = slashToken();
  if (!token || box().disabled) return close();
  matches = replies.filter((r) => r.shortcut.startsWith(token.query));
  active = Math.min(active, Math.max(0, matches.length - 1));
  render(token.query);
}

function pick(reply) {
  const token = slashToken();
  const area = box();
  const start = token ? token.start : area.selectionStart;
  const end = area.selectionStart;
  area.value = area.value.slice(0, start) + reply.text + area.value.slice(end);
  close();
  const wanted = language;
  notes = [];
  if (reply.language !== wanted) notes.push(t().fallback(reply.language.toUpperCase(), wanted.toUpperCase()));
  if (reply.guard) notes.push(t().guard(reply.guard));
  const marker = area.value.slice(start, start + reply.text.length).search(/\[\[[a-z_]+\]\]/);
  area.focus();
  if (marker >= 0) { // select the first gap, so typing fills it
    const at = start + marker;
    area.setSelectionRange(at, area.value.indexOf("]]", at) + 2);
  } else {
    area.setSelectionRange(start + reply.text.length, start + reply.text.length);
  }
  showHint();
}

export function showHint() {
  const hint = $("canned-hint");
  const gaps = [...new Set([...box().value.matchAll(MARKER)].map((m) => m[0]))];
  const lines = [...notes];
  if (gaps.length) lines.unshift(t().fill(gaps.join(", ")));
  if (!box().value.trim()) notes = [];
  hint.textContent = box().value.trim() ? lines.join(" ") : "";
  hint.hidden = !hint.textContent;
}

function onKey(event) {
  if ($("canned-menu").hidden) return;
  const keys = { ArrowDown: 1, ArrowUp: -1 };
  if (event.key in keys && matches.length) {
    active = (active + keys[event.key] + matches.length) % matches.length;
    render(slashToken()?.query || "");
  } else if ((event.key === "Enter" || event.key === "Tab") && matches.length && !event.ctrlKey && !event.metaKey) {
    pick(matches[active]);
  } else if (event.key === "Escape") {
    close();
  } else {
    return;
  }
  // The menu owns these keys while open: no newline, no send, no other handler.
  event.preventDefault();
  event.stopImmediatePropagation();
}

export function initCanned() {
  const area = box();
  const menu = el("ul", "canned-menu");
  menu.id = "canned-menu";
  menu.setAttribute("role", "listbox");
  menu.hidden = true;
  const hint = el("p", "canned-hint");
  hint.id = "canned-hint";
  hint.setAttribute("role", "status");
  hint.hidden = true;
  $("reply-form").prepend(menu);
  $("reply-form").after(hint);
  area.addEventListener("keydown", onKey, true); // capture: before the send-key handler
  area.addEventListener("input", () => { active = 0; update(); showHint(); });
  area.addEventListener("click", update);
  area.addEventListener("blur", () => setTimeout(close, 150));
  document.addEventListener("session-opened", (event) => {
    const { session, switched } = event.detail;
    language = session.language;
    if (!switched) return;
    close();
    notes = [];
    showHint();
    loadCanned(session.id);
  });
  document.addEventListener("canned-changed", reloadCanned);
}
