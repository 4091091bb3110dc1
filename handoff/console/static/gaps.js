// The Gaps page (supervisors and admins): the questions the bot had no good answer
// for, grouped by meaning, biggest first, for a period (GET /api/agent/gaps). From a
// group: add a message to an article as an example question (a draft: Publish on the
// Knowledge page), start a new article with the samples (gaps-article.js), or dismiss
// it. API: docs/desk-api.md, "Content gaps". Server text is set with textContent only.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { newArticle } from "./gaps-article.js";

export const TEXT = {
  en: {
    open: "Gaps", title: "Content gaps", close: "Close", refresh: "Refresh",
    periods: { today: "Today", "7d": "Last 7 days", "30d": "Last 30 days", custom: "Custom" },
    from: "From", to: "To", loading: "Grouping the questions…",
    total: (n, g) => `${n} question(s) without a good answer, in ${g} group(s)`,
    none: "No unanswered questions in this period.",
    article: "Article", pick: "Choose an article…", add: "Add as example",
    added: (a) => `Added to ${a} (a draft: publish it on the Knowledge page)`,
    create: "New article from these", dismiss: "Dismiss", dismissed: "Dismissed",
    kinds: { miss: "miss", suggest: "suggested", clarify: "did you mean", escalation: "to a human", low_csat: "low rating" },
    last: "last", choose_first: "Choose an article first.",
    form: {
      heading: "New article", id: "Id (lowercase-with-dashes)", topic: "Topic", titleField: "Title",
      questions: "Example questions (one a line)", answer: "Answer", save: "Save as draft", cancel: "Cancel",
      saved: (id) => `Saved ${id} as a draft: publish it on the Knowledge page.`,
    },
  },
  zh: {
    open: "缺口", title: "内容缺口", close: "关闭", refresh: "刷新",
    periods: { today: "今天", "7d": "最近 7 天", "30d": "最近 30 天", custom: "自定义" },
    from: "从", to: "到", loading: "正在按语义分组…",
    total: (n, g) => `${n} 个问题没有得到好的回答，共 ${g} 组`,
    none: "该时段没有未回答的问题。",
    article: "文章", pick: "选择文章…", add: "加为示例问题",
    added: (a) => `已加入 ${a}（草稿：请在知识库页面发布）`,
    create: "用这些新建文章", dismiss: "忽略", dismissed: "已忽略",
    kinds: { miss: "未命中", suggest: "给出建议", clarify: "反问", escalation: "转人工", low_csat: "低评分" },
    last: "最近", choose_first: "请先选择文章。",
    form: {
      heading: "新建文章", id: "编号（小写字母加连字符）", topic: "主题", titleField: "标题",
      questions: "示例问题（每行一个）", answer: "答案", save: "保存为草稿", cancel: "取消",
      saved: (id) => `${id} 已保存为草稿：请在知识库页面发布。`,
    },
  },
};
export const tx = () => TEXT[lang()];
let articles = []; // [{id, titles}] for the pickers

function build() {
  const x = tx();
  const page = Object.assign(el("section", "gaps"), { id: "gaps", hidden: true });
  page.dataset.lang = lang();
  const period = Object.assign(el("select"), { id: "gaps-period" });
  period.setAttribute("aria-label", x.title);
  for (const [value, text] of Object.entries(x.periods)) period.append(Object.assign(el("option", "", text), { value }));
  period.value = "7d";
  const from = Object.assign(el("input"), { id: "gaps-from", type: "date" });
  const to = Object.assign(el("input"), { id: "gaps-to", type: "date" });
  from.setAttribute("aria-label", x.from);
  to.setAttribute("aria-label", x.to);
  const refresh = Object.assign(el("button", "primary", x.refresh), { id: "gaps-refresh", type: "button" });
  const close = Object.assign(el("button", "", x.close), { id: "gaps-close", type: "button" });
  const custom = () => { from.hidden = to.hidden = period.value !== "custom"; };
  period.addEventListener("change", () => { custom(); if (period.value !== "custom") load(); });
  refresh.addEventListener("click", () => load());
  close.addEventListener("click", () => show(false));
  custom();
  const head = el("header", "gaps-head");
  head.append(el("h2", "", x.title), period, from, to, refresh, close);
  const error = Object.assign(el("p", "error"), { id: "gaps-error" });
  error.setAttribute("role", "alert");
  const status = Object.assign(el("p", "gaps-status"), { id: "gaps-status" });
  status.setAttribute("role", "status");
  page.append(head, error, status, Object.assign(el("div", "gaps-list"), { id: "gaps-list" }));
  document.body.append(page);
}

function query() {
  const params = new URLSearchParams({ period: $("gaps-period").value });
  if (params.get("period") === "custom") {
    params.set("start", $("gaps-from").value);
    params.set("end", $("gaps-to").value);
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) params.set("tz", zone);
  return params.toString();
}

async function load() {
  const x = tx();
  $("gaps-error").textContent = "";
  const page = $("gaps");
  page.dataset.state = "loading";
  $("gaps-status").textContent = x.loading;
  try {
    const [data, listed] = await Promise.all([api(`/api/agent/gaps?${query()}`), api("/api/agent/kb/articles")]);
    articles = listed.articles;
    $("gaps-status").textContent = data.groups.length ? x.total(data.total, data.groups.length) : x.none;
    $("gaps-list").replaceChildren(...data.groups.map(card));
    page.dataset.state = "ready";
  } catch (error) {
    $("gaps-status").textContent = "";
    $("gaps-error").textContent = error.message;
    page.dataset.state = "error";
  }
}

function summary(group) {
  const x = tx();
  const languages = Object.entries(group.languages).map(([l, n]) => `${l.toUpperCase()} ${n}`).join(" · ");
  const kinds = Object.entries(group.kinds).map(([k, n]) => `${x.kinds[k] || k} ${n}`).join(" · ");
  const last = group.last_seen ? `${x.last} ${new Date(group.last_seen).toLocaleString()}` : "";
  return [languages, kinds, last].filter(Boolean).join("  |  ");
}

function picker() {
  const box = el("select", "gap-pick");
  box.setAttribute("aria-label", tx().article);
  box.append(Object.assign(el("option", "", tx().pick), { value: "" }));
  for (const a of articles) box.append(Object.assign(el("option", "", `${a.titles[lang()] || a.id} (${a.id})`), { value: a.id }));
  return box;
}

function card(group) {
  const x = tx();
  const box = el("section", "gap-group");
  box.dataset.id = group.id;
  const head = el("header", "gap-head");
  head.append(el("span", "gap-count", String(group.count)), el("span", "gap-languages", summary(group)));
  const choose = picker();
  if (group.nearest_article && articles.some((a) => a.id === group.nearest_article)) choose.value = group.nearest_article;
  const create = Object.assign(el("button", "gap-new", x.create), { type: "button" });
  const dismiss = Object.assign(el("button", "gap-dismiss", x.dismiss), { type: "button" });
  create.addEventListener("click", () => newArticle(group, box, x.form));
  dismiss.addEventListener("click", () => dismissGroup(group.id, box).catch((e) => { $("gaps-error").textContent = e.message; }));
  const actions = el("div", "gap-actions");
  actions.append(choose, create, dismiss);
  const list = el("ul", "gap-samples");
  for (const sample of group.samples) list.append(sampleRow(group.id, sample, choose));
  const note = el("p", "gap-note");
  note.setAttribute("role", "status");
  box.append(head, list, actions, note);
  return box;
}

function sampleRow(groupId, sample, choose) {
  const x = tx();
  const row = el("li", "gap-sample");
  row.dataset.gap = sample.id;
  const add = Object.assign(el("button", "gap-add", x.add), { type: "button" });
  const added = el("span", "gap-added", sample.article_id ? x.added(sample.article_id) : "");
  add.addEventListener("click", () => addExample(groupId, sample, choose.value, added));
  row.append(el("span", "gap-lang", sample.language.toUpperCase()), el("span", "gap-text", sample.text), add, added);
  return row;
}

async function addExample(groupId, sample, articleId, added) {
  if (!articleId) { added.textContent = tx().choose_first; added.classList.add("error"); return; }
  added.classList.remove("error");
  try {
    await api(`/api/agent/gaps/groups/${groupId}/examples`, {
      method: "POST", body: JSON.stringify({ gap_id: sample.id, article_id: articleId }),
    });
    added.textContent = tx().added(articleId);
  } catch (error) {
    added.textContent = error.message; // a refusal names the field, e.g. a duplicate question
    added.classList.add("error");
  }
}

async function dismissGroup(id, box) {
  await api(`/api/agent/gaps/groups/${id}/dismiss`, { method: "POST" });
  box.remove();
  $("gaps-status").textContent = tx().dismissed;
}

function show(visible) {
  const built = $("gaps");
  if (built && built.dataset.lang !== lang()) built.remove(); // the language changed
  if (!$("gaps")) build();
  const page = $("gaps");
  page.hidden = !visible;
  if (visible) {
    page.style.top = `${document.querySelector(".topbar").offsetHeight}px`;
    load();
  }
}

// Shown to supervisors and admins (the API refuses others with 403 anyway).
async function allow() {
  const me = await api("/api/agent/routing/me");
  $("gaps-open").hidden = !["supervisor", "admin"].includes(me.role);
}

export function initGaps() {
  const style = Object.assign(el("link"), { rel: "stylesheet", href: "/console/gaps.css" });
  document.head.append(style);
  const open = Object.assign(el("button", "", tx().open), { id: "gaps-open", type: "button", hidden: true });
  $("lang").addEventListener("change", () => { open.textContent = tx().open; });
  open.addEventListener("click", () => show(true));
  $("agent-name").before(open);
  const main = $("main-view");
  new MutationObserver(() => {
    if (main.hidden) { if ($("gaps")) $("gaps").hidden = true; open.hidden = true; }
    else allow().catch(() => {});
  }).observe(main, { attributes: true, attributeFilter: ["hidden"] });
  if (!main.hidden) allow().catch(() => {});
}
