// The Knowledge page: list and search articles, edit them per language (supervisors
// and admins; agents read), Try it against the drafts and the live index, Publish
// with progress, and History with per-field diffs and restore. API: docs/desk-api.md.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";

const LANGUAGES = ["zh", "en", "es"];
const TEXT = {
  en: {
    open: "Knowledge", title: "Knowledge base", search: "Search articles", close: "Close",
    titleField: "Title", questions: "Example questions (one a line)", answer: "Answer",
    save: "Save", saved: "Saved", readOnly: "Only supervisors and admins edit articles.",
    tryIt: "Try it", ask: "Ask", draft: "Draft", live: "Live", none: "nothing published yet",
    publish: "Publish", building: "Building the index…", published: (r) => `Revision ${r} is live`,
    failed: (e) => `The build failed; the live index is unchanged: ${e}`,
    reload: "Someone else published or edited meanwhile: reload and try again.",
    history: "History", restore: "Restore", live_rev: (r) => (r ? `Live: revision ${r}` : "Live: the built-in index"),
    kinds: { answer: "answers", suggest: "asks “did you mean…”", miss: "says it has no answer", flow: "starts a flow", out_of_scope: "says it is out of scope" },
    changes: (n) => `${n} change(s)`,
  },
  zh: {
    open: "知识库", title: "知识库", search: "搜索文章", close: "关闭",
    titleField: "标题", questions: "示例问题（每行一个）", answer: "答案",
    save: "保存", saved: "已保存", readOnly: "只有主管和管理员可以编辑文章。",
    tryIt: "试一试", ask: "提问", draft: "草稿", live: "线上", none: "尚未发布",
    publish: "发布", building: "正在构建索引…", published: (r) => `修订 ${r} 已上线`,
    failed: (e) => `构建失败，线上索引未改变：${e}`,
    reload: "其他人刚刚发布或修改过：请刷新后重试。",
    history: "历史", restore: "恢复", live_rev: (r) => (r ? `线上：修订 ${r}` : "线上：内置索引"),
    kinds: { answer: "直接回答", suggest: "询问“您是指…”", miss: "表示没有答案", flow: "启动流程", out_of_scope: "表示超出范围" },
    changes: (n) => `${n} 处修改`,
  },
};
const tx = () => TEXT[lang()];
let current = null; // the article open in the editor
let canEdit = false;
let liveRevision = null;
let poller = null;

export function setupKnowledge() {
  $("kb-open").textContent = tx().open;
  $("kb-open").addEventListener("click", () => toggle(true));
  $("queue").addEventListener("click", () => toggle(false)); // a session was opened
}

function toggle(show) {
  $("knowledge").hidden = !show;
  $("conversation").classList.toggle("editing-kb", show);
  if (show) render().catch((error) => note("kb-message", error.message, true));
}

function note(id, text, bad = false) {
  const node = $(id);
  if (!node) return;
  node.textContent = text;
  node.className = bad ? "kb-error" : "kb-ok";
}

async function render() {
  const t = tx();
  const root = $("knowledge");
  root.replaceChildren();
  const head = el("header", "kb-head");
  const search = Object.assign(el("input"), { id: "kb-search", type: "search", placeholder: t.search });
  const close = Object.assign(el("button", "", t.close), { id: "kb-close", type: "button" });
  const publish = Object.assign(el("button", "primary", t.publish), { id: "kb-publish", type: "button" });
  const progress = Object.assign(el("progress"), { id: "kb-progress", max: 1, value: 0, hidden: true });
  head.append(el("h2", "", t.title), search, el("span", "", ""), publish, progress, close);
  head.children[2].id = "kb-live";
  const message = Object.assign(el("p", ""), { id: "kb-message", role: "status" });
  const body = el("div", "kb-body");
  const list = Object.assign(el("div", "kb-list"), { id: "kb-list" });
  const editor = Object.assign(el("div", ""), { id: "kb-editor" });
  body.append(list, editor);
  root.append(head, message, body, tryBox(), el("h3", "", t.history), Object.assign(el("ol", "kb-history"), { id: "kb-history" }));
  close.addEventListener("click", () => toggle(false));
  search.addEventListener("input", () => loadList(search.value).catch(() => {}));
  publish.addEventListener("click", () => startPublish().catch(() => {}));
  await Promise.all([loadList(""), loadStatus(), loadHistory()]);
}

// Answers can come back out of order (the empty query's full list after a typed one's):
// only the latest request's is drawn.
let listAsked = 0;

async function loadList(query) {
  const mine = ++listAsked;
  const found = await api(`/api/agent/kb/articles?q=${encodeURIComponent(query)}`);
  if (mine !== listAsked) return;
  canEdit = found.can_edit;
  $("kb-publish").hidden = !canEdit;
  const list = $("kb-list");
  list.replaceChildren(...found.articles.map((a) => {
    const button = el("button", current?.id === a.id ? "active" : "", a.titles[lang()] || a.id);
    button.type = "button";
    button.dataset.id = a.id;
    button.title = a.id;
    button.addEventListener("click", () => openArticle(a.id).catch(() => {}));
    return button;
  }));
}

async function openArticle(id) {
  current = await api(`/api/agent/kb/articles/${encodeURIComponent(id)}`);
  const t = tx();
  document.querySelectorAll("#kb-list button").forEach((b) => b.classList.toggle("active", b.dataset.id === id));
  const editor = $("kb-editor");
  editor.replaceChildren(el("h3", "", `${current.id} · ${current.topic}`));
  if (!canEdit) editor.append(el("p", "", t.readOnly));
  for (const code of LANGUAGES) {
    const texts = current.texts[code] || { title: "", questions: [], answer: "" };
    const box = el("fieldset", "kb-lang");
    box.append(el("legend", "", code.toUpperCase()));
    box.append(field(`${code}.title`, t.titleField, Object.assign(el("input"), { value: texts.title })));
    box.append(field(`${code}.questions`, t.questions, Object.assign(el("textarea"), { rows: 4, value: (texts.questions || []).join("\n") })));
    box.append(field(`${code}.answer`, t.answer, Object.assign(el("textarea"), { rows: 5, value: texts.answer })));
    box.append(Object.assign(el("p", "kb-error"), { id: `kb-error-${code}` }));
    editor.append(box);
  }
  const save = Object.assign(el("button", "primary", t.save), { id: "kb-save", type: "button", hidden: !canEdit });
  save.addEventListener("click", () => saveArticle().catch(() => {}));
  editor.append(save, Object.assign(el("span", ""), { id: "kb-saved", role: "status" }));
  editor.querySelectorAll("input, textarea").forEach((input) => { input.readOnly = !canEdit; });
}

function field(name, label, input) {
  input.id = `kb-${name.replace(".", "-")}`;
  input.dataset.field = name;
  const wrap = el("label", "", null);
  wrap.append(el("span", "", label), input, Object.assign(el("p", "kb-error"), { id: `kb-error-${name.replace(".", "-")}` }));
  return wrap;
}

async function saveArticle() {
  document.querySelectorAll("#kb-editor .kb-error").forEach((p) => { p.textContent = ""; });
  note("kb-saved", "");
  const texts = {};
  for (const code of LANGUAGES) {
    texts[code] = {
      title: $(`kb-${code}-title`).value,
      questions: $(`kb-${code}-questions`).value.split("\n").map((q) => q.trim()).filter(Boolean),
      answer: $(`kb-${code}-answer`).value,
    };
  }
  try {
    current = await api(`/api/agent/kb/articles/${encodeURIComponent(current.id)}`, {
      method: "PUT", body: JSON.stringify({ topic: current.topic, texts, version: current.version }),
    });
    note("kb-saved", tx().saved);
  } catch (error) {
    const detail = error.detail && typeof error.detail === "object" ? error.detail : null;
    if (error.status === 422 && detail) {
      // Next to the field it names ("en.answer"), else next to its language ("es").
      const id = `kb-error-${String(detail.field).replace(".", "-")}`;
      note($(id) ? id : "kb-saved", detail.message, true);
    } else {
      note("kb-saved", error.status === 409 ? tx().reload : String(error.message), true);
    }
  }
}

function tryBox() {
  const t = tx();
  const box = el("section", "");
  const form = el("form", "kb-head");
  const input = Object.assign(el("input"), { id: "kb-try-text", type: "text", maxLength: 1000 });
  const language = Object.assign(el("select"), { id: "kb-try-lang" });
  language.append(...LANGUAGES.map((code) => Object.assign(el("option", "", code.toUpperCase()), { value: code })));
  language.value = lang();
  const go = Object.assign(el("button", "", t.ask), { id: "kb-try-go", type: "submit" });
  form.append(el("h3", "", t.tryIt), input, language, go);
  const sides = el("div", "kb-try");
  sides.append(Object.assign(el("div", ""), { id: "kb-try-draft" }), Object.assign(el("div", ""), { id: "kb-try-live" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runTry(input.value, language.value).catch((error) => note("kb-message", String(error.message), true));
  });
  box.append(form, sides);
  return box;
}

async function runTry(question, language) {
  if (!question.trim()) return;
  const t = tx();
  const result = await api("/api/agent/kb/try", { method: "POST", body: JSON.stringify({ question, language }) });
  for (const side of ["draft", "live"]) {
    const box = $(`kb-try-${side}`);
    box.replaceChildren(el("h4", "", side === "draft" ? t.draft : t.live));
    const outcome = result[side];
    if (!outcome) { box.append(el("p", "", t.none)); continue; }
    const hits = el("ol", "");
    hits.append(...outcome.hits.map((h) => el("li", "", `${h.title || h.id} (${h.id}) · ${h.score.toFixed(2)}`)));
    const kind = Object.assign(el("p", "kb-kind", `${t.kinds[outcome.kind] || outcome.kind}${outcome.article ? `: ${outcome.article}` : ""}`), {});
    kind.dataset.kind = outcome.kind;
    box.append(hits, kind);
    if (outcome.answer) box.append(Object.assign(el("p", "kb-answer", outcome.answer), {}));
  }
}

async function loadStatus() {
  const status = await api("/api/agent/kb/status");
  liveRevision = status.live_revision;
  $("kb-live").textContent = tx().live_rev(liveRevision);
  const building = status.building_revision != null;
  $("kb-progress").hidden = !building;
  $("kb-progress").value = status.progress || 0;
  $("kb-publish").disabled = building;
  return status;
}

async function startPublish() {
  note("kb-message", "");
  let revision;
  try {
    ({ revision } = await api("/api/agent/kb/publish", { method: "POST", body: JSON.stringify({ expected_live: liveRevision }) }));
  } catch (error) {
    note("kb-message", error.status === 409 ? tx().reload : error.message, true);
    return;
  }
  note("kb-message", tx().building);
  clearInterval(poller);
  poller = setInterval(async () => {
    const status = await loadStatus().catch(() => null);
    if (!status || status.building_revision === revision) return;
    clearInterval(poller);
    const done = await api(`/api/agent/kb/revisions/${revision}`);
    if (done.status === "live") note("kb-message", tx().published(revision));
    else note("kb-message", tx().failed(done.error || ""), true);
    await loadHistory().catch(() => {});
  }, 1000);
}

async function loadHistory() {
  const t = tx();
  const { revisions } = await api("/api/agent/kb/revisions");
  $("kb-history").replaceChildren(...revisions.map((r) => {
    const item = el("li", "", `#${r.id} · ${r.author} · ${new Date(r.created_at).toLocaleString()} · ${r.status} · ${t.changes(r.changes)}`);
    item.dataset.revision = r.id;
    const show = Object.assign(el("button", "", "±"), { type: "button" });
    show.addEventListener("click", () => showDiff(item, r.id).catch(() => {}));
    item.append(" ", show);
    if (canEdit && r.status === "live" && r.id !== liveRevision) {
      const restore = Object.assign(el("button", "", t.restore), { type: "button" });
      restore.addEventListener("click", () => restoreRevision(r.id).catch(() => {}));
      item.append(" ", restore);
    }
    return item;
  }));
}

async function showDiff(item, id) {
  const found = await api(`/api/agent/kb/revisions/${id}`);
  const table = el("table", "kb-diff");
  for (const change of found.diff) {
    const row = el("tr", "");
    const before = el("del", "", JSON.stringify(change.before));
    const after = el("ins", "", JSON.stringify(change.after));
    const cells = [el("td", "", `${change.article} · ${change.field}`), el("td", ""), el("td", "")];
    cells[1].append(before);
    cells[2].append(after);
    row.append(...cells);
    table.append(row);
  }
  item.querySelector("table")?.remove();
  item.append(table);
}

async function restoreRevision(id) {
  try {
    const { revision } = await api(`/api/agent/kb/revisions/${id}/restore`, { method: "POST", body: JSON.stringify({ expected_live: liveRevision }) });
    note("kb-message", tx().building);
    await waitFor(revision);
  } catch (error) {
    note("kb-message", error.status === 409 ? tx().reload : String(error.message), true);
  }
}

async function waitFor(revision) {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = await loadStatus();
    if (status.building_revision !== revision) break;
  }
  await loadHistory();
  if (current) await openArticle(current.id);
  note("kb-message", tx().published(revision));
}
