// The canned replies panel: the team's list, and a form to add or change one (its author
// and supervisors may). The server checks shortcuts and placeholders; its reason for a
// refusal is shown as it is.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";

const TEXT = {
  en: {
    open: "Canned replies",
    title: "Canned replies",
    shortcut: "Shortcut (type / and it in the reply box)",
    variant: { zh: "Chinese", en: "English", es: "Spanish" },
    placeholders: "Placeholders:",
    save: "Save",
    add: "New reply",
    close: "Close",
    edit: "Edit",
    remove: "Delete",
    sure: "Delete?",
    empty: "No canned replies yet.",
    saved: "Saved.",
    by: (name) => `by ${name}`,
  },
  zh: {
    open: "快捷回复",
    title: "快捷回复",
    shortcut: "快捷词（在回复框输入 / 加快捷词）",
    variant: { zh: "中文", en: "英文", es: "西班牙文" },
    placeholders: "占位符：",
    save: "保存",
    add: "新建",
    close: "关闭",
    edit: "编辑",
    remove: "删除",
    sure: "确认删除？",
    empty: "还没有快捷回复。",
    saved: "已保存。",
    by: (name) => `作者 ${name}`,
  },
};
const LANGUAGES = ["zh", "en", "es"];
let editing = null; // the reply id the form changes, or null for a new one
const t = () => TEXT[lang()];

function say(text, ok = false) {
  $("canned-error").textContent = text;
  $("canned-error").classList.toggle("ok", ok);
}

function field(label, input) {
  const wrap = el("label", "canned-field", label);
  wrap.append(input);
  return wrap;
}

function build() {
  const dialog = el("dialog", "canned-panel");
  dialog.id = "canned-panel";
  const form = el("form", "canned-form");
  form.id = "canned-form";
  const shortcut = el("input");
  shortcut.id = "canned-shortcut";
  shortcut.required = true;
  shortcut.maxLength = 32;
  form.append(field(t().shortcut, shortcut));
  for (const code of LANGUAGES) {
    const area = el("textarea");
    area.id = `canned-${code}`;
    area.rows = 3;
    area.maxLength = 4000;
    form.append(field(`${t().variant[code]} (${code})`, area));
  }
  const help = el("p", "canned-placeholders");
  help.id = "canned-placeholders";
  const error = el("p", "error");
  error.id = "canned-error";
  error.setAttribute("role", "alert");
  const buttons = el("div", "canned-buttons");
  const save = el("button", "primary", t().save);
  save.type = "submit";
  save.id = "canned-save";
  const add = el("button", "", t().add);
  add.type = "button";
  add.addEventListener("click", () => edit(null));
  const close = el("button", "", t().close);
  close.type = "button";
  close.addEventListener("click", () => dialog.close());
  buttons.append(save, add, close);
  form.append(help, error, buttons);
  form.addEventListener("submit", submit);
  const list = el("ul", "canned-list");
  list.id = "canned-list";
  dialog.append(el("h2", "", t().title), list, form);
  document.body.append(dialog);
}

function edit(reply) {
  editing = reply ? reply.id : null;
  $("canned-shortcut").value = reply ? reply.shortcut : "";
  for (const code of LANGUAGES) $(`canned-${code}`).value = reply?.variants[code] || "";
  say("");
  $("canned-shortcut").focus();
}

async function load() {
  const body = await api("/api/agent/canned");
  $("canned-placeholders").textContent = `${t().placeholders} ${Object.keys(body.placeholders).map((n) => `{${n}}`).join(" ")}`;
  const list = $("canned-list");
  list.replaceChildren();
  if (!body.replies.length) list.append(el("li", "empty", t().empty));
  for (const reply of body.replies) {
    const item = el("li", "canned-row");
    item.dataset.shortcut = reply.shortcut;
    item.append(el("strong", "", `/${reply.shortcut}`));
    for (const code of Object.keys(reply.variants)) item.append(el("span", "badge", code.toUpperCase()));
    if (reply.created_by) item.append(el("span", "meta", t().by(reply.created_by.display_name)));
    if (reply.can_edit) {
      const change = el("button", "", t().edit);
      change.type = "button";
      change.addEventListener("click", () => edit(reply));
      const remove = el("button", "", t().remove);
      remove.type = "button";
      remove.addEventListener("click", () => removeReply(reply, remove));
      item.append(change, remove);
    }
    list.append(item);
  }
}

async function removeReply(reply, button) {
  if (button.textContent !== t().sure) { button.textContent = t().sure; return; } // a second click
  try {
    await api(`/api/agent/canned/${reply.id}`, { method: "DELETE" });
    if (editing === reply.id) edit(null);
    await load();
    document.dispatchEvent(new Event("canned-changed"));
  } catch (error) {
    say(error.message);
  }
}

async function submit(event) {
  event.preventDefault();
  const variants = {};
  for (const code of LANGUAGES) {
    const text = $(`canned-${code}`).value.trim();
    if (text) variants[code] = text; // a blank box is a language not written, not an empty one
  }
  const body = JSON.stringify({ shortcut: $("canned-shortcut").value, variants });
  try {
    const saved = editing == null
      ? await api("/api/agent/canned", { method: "POST", body })
      : await api(`/api/agent/canned/${editing}`, { method: "PUT", body });
    edit(saved);
    say(t().saved, true);
    await load();
    document.dispatchEvent(new Event("canned-changed"));
  } catch (error) {
    say(error.message);
  }
}

export function initCannedPanel() {
  const open = el("button", "", t().open);
  open.type = "button";
  open.id = "canned-open";
  $("agent-name").before(open);
  open.addEventListener("click", async () => {
    if (!$("canned-panel")) build();
    $("canned-panel").showModal();
    edit(null);
    await load().catch((error) => say(error.message));
  });
}
