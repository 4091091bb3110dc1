// Search (GET /api/agent/search) and a session's earlier sessions
// (GET /api/agent/sessions/{id}/history). Server text is set with textContent only.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { localTime } from "./format.js";
import { lang } from "./i18n.js";
import { state } from "./state.js";

const TEXT = {
  en: {
    placeholder: "Search: ticket, user id, tx hash, address, words",
    search: "Search",
    close: "Close search",
    searching: "Searching…",
    none: "Nothing found.",
    noWords: "Type a ticket number, an id, a hash or some words.",
    more: "More results",
    results: "Search results",
    history: "Earlier sessions of this user",
    noHistory: "none",
    matched: { ticket: "ticket", user: "user", message: "message" },
    author: { user: "user", bot: "bot", agent: "agent", system: "system" },
  },
  zh: {
    placeholder: "搜索：工单号、用户 ID、交易哈希、地址或文字",
    search: "搜索",
    close: "关闭搜索",
    searching: "正在搜索…",
    none: "没有找到。",
    noWords: "请输入工单号、ID、哈希或文字。",
    more: "更多结果",
    results: "搜索结果",
    history: "该用户之前的会话",
    noHistory: "无",
    matched: { ticket: "工单", user: "用户", message: "消息" },
    author: { user: "用户", bot: "机器人", agent: "客服", system: "系统" },
  },
};

const t = () => TEXT[lang()];
let current = { q: "", next: null };

// Wires the search box; `open(id)` shows a session (session.js's openSession).
export function startSearch(open) {
  const text = t();
  $("search-text").placeholder = text.placeholder;
  $("search-text").setAttribute("aria-label", text.search);
  $("search-go").textContent = text.search;
  $("search-close").setAttribute("aria-label", text.close);
  $("search-close").title = text.close;
  $("search-results").setAttribute("aria-label", text.results);
  $("history-title").textContent = text.history;
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run($("search-text").value, 0, open);
  });
  $("search-close").addEventListener("click", closeSearch);
  $("search-text").addEventListener("keydown", (event) => { if (event.key === "Escape") closeSearch(); });
}

function closeSearch() {
  $("search-text").value = "";
  $("search-results").replaceChildren();
  $("search-close").hidden = true;
  document.querySelector(".sidebar").classList.remove("searching");
}

async function run(q, offset, open) {
  const box = $("search-results");
  document.querySelector(".sidebar").classList.add("searching");
  $("search-close").hidden = false;
  if (offset === 0) box.replaceChildren(el("p", "empty", t().searching));
  let found;
  try {
    const params = new URLSearchParams({ q, offset: String(offset) });
    found = await api(`/api/agent/search?${params}`);
  } catch (error) {
    box.replaceChildren(el("p", "error", error.message));
    return;
  }
  current = { q, next: found.next_offset };
  if (offset === 0) box.replaceChildren();
  box.querySelector(".search-more")?.remove();
  if (!found.hits.length && offset === 0) {
    box.append(el("p", "empty", found.terms.length || q.trim() ? t().none : t().noWords));
    return;
  }
  for (const hit of found.hits) box.append(hitItem(hit, open));
  if (current.next != null) {
    const more = el("button", "search-more", t().more);
    more.type = "button";
    more.addEventListener("click", () => run(current.q, current.next, open));
    box.append(more);
  }
}

function hitItem(hit, open) {
  const text = t();
  const item = el("button", "search-hit");
  item.type = "button";
  item.dataset.sessionId = String(hit.session_id);
  const line = el("span", "line");
  line.append(
    el("span", "ticket", hit.ticket),
    el("span", "badge", hit.state),
    el("span", "badge", hit.channel),
    el("span", "badge", text.matched[hit.matched] || hit.matched),
  );
  const who = el("span", "times", `${localTime(hit.at)}${hit.author ? ` · ${text.author[hit.author] || hit.author}` : ""}`);
  item.append(line, el("span", "user mono", hit.user), marked(hit.snippet, hit.highlights), who);
  item.addEventListener("click", async () => {
    document.querySelectorAll(".search-hit").forEach((other) => other.classList.toggle("selected", other === item));
    // Kept in the state: the thread is redrawn by every refresh, and the mark must survive it.
    state.found = hit.message_id || null;
    await open(hit.session_id);
    document.querySelectorAll("#thread .found").forEach((node) => node.classList.remove("found"));
    const message = hit.message_id && $("thread").querySelector(`[data-id="${hit.message_id}"]`);
    if (message) {
      message.classList.add("found");
      message.scrollIntoView({ block: "center" });
    }
  });
  return item;
}

// The snippet with the words found in <mark>; ranges count code points, as the server does.
function marked(snippet, highlights) {
  const chars = Array.from(snippet);
  const node = el("span", "snippet");
  let at = 0;
  for (const [start, end] of highlights) {
    node.append(document.createTextNode(chars.slice(at, start).join("")));
    node.append(el("mark", "", chars.slice(start, end).join("")));
    at = end;
  }
  node.append(document.createTextNode(chars.slice(at).join("")));
  return node;
}

// Fills the session view's list of the same user's earlier sessions.
export async function showHistory(session, open) {
  const list = $("history");
  let found;
  try {
    found = await api(`/api/agent/sessions/${session.id}/history`);
  } catch {
    return;
  }
  if (state.selected?.id !== session.id) return; // another session was opened meanwhile
  // Asked again by every refresh: redrawn only when it changed, so a link isn't replaced
  // under the agent's pointer.
  const drawn = JSON.stringify([session.id, found.sessions, lang()]);
  if (list.dataset.drawn === drawn) return;
  list.dataset.drawn = drawn;
  list.replaceChildren();
  if (!found.sessions.length) list.append(el("li", "unknown", t().noHistory));
  for (const earlier of found.sessions) {
    const item = el("li");
    const link = el("button", "history-link", `${earlier.ticket} · ${earlier.reason.replaceAll("_", " ")} · ${earlier.state}`);
    link.type = "button";
    link.addEventListener("click", () => open(earlier.id));
    item.append(link, el("span", "times", ` ${localTime(earlier.queued_at)}`));
    list.append(item);
  }
}
