// Knowledge assist beside the open session: the three articles closest to what the user
// said last, in the user's language. Asked for when the agent opens a session (and on
// ↻), never per message. "Insert" puts the answer in the reply box, to edit and send.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { showHint } from "./canned.js";

const TEXT = {
  en: {
    heading: "Suggested articles",
    refresh: "Suggest again from the latest messages",
    insert: "Insert",
    claim: "Claim the session to reply",
    loading: "Looking…",
    none: "No article matches what the user wrote.",
    failed: (why) => `Knowledge assist is unavailable: ${why}`,
    guard: (why) => `⚠ Refused as written — edit before sending: ${why}`,
  },
  zh: {
    heading: "推荐文章",
    refresh: "按最新消息重新推荐",
    insert: "插入",
    claim: "认领会话后才能回复",
    loading: "查找中…",
    none: "没有与用户消息相符的文章。",
    failed: (why) => `知识库推荐不可用：${why}`,
    guard: (why) => `⚠ 原文发送会被拦截，请先修改：${why}`,
  },
};
const PREVIEW = 160; // characters of the answer shown; the whole of it goes in the box

let current = null; // the session the list is for
const t = () => TEXT[lang()];

function insert(answer) {
  const area = $("reply-text");
  const kept = area.value.trimEnd();
  area.value = kept ? `${kept}\n\n${answer}` : answer;
  area.focus();
  area.setSelectionRange(area.value.length, area.value.length);
  area.scrollTop = area.scrollHeight;
  showHint();
}

function render(body) {
  const list = $("assist-list");
  list.replaceChildren();
  if (!body.articles.length) list.append(el("li", "empty", t().none));
  const mine = !$("reply-text").disabled;
  for (const article of body.articles) {
    const item = el("li", "assist-item");
    item.dataset.articleId = article.id;
    const preview = article.answer.length > PREVIEW ? `${article.answer.slice(0, PREVIEW)}…` : article.answer;
    item.append(el("strong", "assist-title", article.title), el("p", "assist-preview", preview));
    if (article.guard) item.append(el("p", "assist-guard", t().guard(article.guard)));
    const button = el("button", "assist-insert", t().insert);
    button.type = "button";
    button.disabled = !mine;
    button.title = mine ? "" : t().claim;
    button.addEventListener("click", () => insert(article.answer));
    item.append(button);
    list.append(item);
  }
}

async function suggest(id) {
  current = id;
  const list = $("assist-list");
  list.replaceChildren(el("li", "empty", t().loading));
  try {
    const body = await api(`/api/agent/sessions/${id}/articles`);
    if (current === id) render(body);
  } catch (error) {
    if (current === id) list.replaceChildren(el("li", "error", t().failed(error.message)));
  }
}

export function initAssist() {
  const section = el("section", "assist");
  section.id = "assist";
  const heading = el("h3", "", t().heading);
  const again = el("button", "assist-refresh", "↻");
  again.type = "button";
  again.title = t().refresh;
  again.setAttribute("aria-label", t().refresh);
  again.addEventListener("click", () => current != null && suggest(current));
  heading.append(again);
  const list = el("ol", "assist-list");
  list.id = "assist-list";
  section.append(heading, list);
  document.querySelector("#session .right").prepend(section);
  document.addEventListener("session-opened", (event) => {
    const { session, switched } = event.detail;
    if (switched || current !== session.id) {
      suggest(session.id);
      return;
    }
    // Claimed or released since: whether Insert may be pressed changes, the list doesn't.
    const mine = !$("reply-text").disabled;
    for (const button of document.querySelectorAll(".assist-insert")) {
      button.disabled = !mine;
      button.title = mine ? "" : t().claim;
    }
  });
}
