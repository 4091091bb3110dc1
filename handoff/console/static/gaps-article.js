// A new article started from a gap group (the Gaps page): the group's sample messages
// fill in the example questions of their languages; the editor adds the rest and
// saves a draft (POST /api/agent/kb/articles, validated as every save is: a refusal
// is shown next to the field it names). Publish on the Knowledge page makes it live.
import { api } from "./api.js";
import { $, el } from "./dom.js";

const LANGUAGES = ["zh", "en", "es"];
const TOPICS = ["general", "account", "transfers", "security", "contact", "tickets"];

function field(id, label, input) {
  input.id = `gap-article-${id}`;
  const wrap = el("label", "gap-field");
  const error = Object.assign(el("p", "error"), { id: `gap-article-error-${id}` });
  wrap.append(el("span", "", label), input, error);
  return wrap;
}

export function newArticle(group, box, t) {
  $("gap-article")?.remove(); // one at a time
  const form = Object.assign(el("form", "gap-article"), { id: "gap-article" });
  form.append(el("h3", "", t.heading));
  const topic = el("select");
  for (const name of TOPICS) topic.append(Object.assign(el("option", "", name), { value: name }));
  form.append(field("id", t.id, el("input")), field("topic", t.topic, topic));
  for (const code of LANGUAGES) {
    const samples = group.samples.filter((s) => s.language === code).map((s) => s.text);
    const set = el("fieldset", "gap-lang");
    set.append(el("legend", "", code.toUpperCase()));
    set.append(field(`${code}-title`, t.titleField, el("input")));
    set.append(field(`${code}-questions`, t.questions, Object.assign(el("textarea"), { rows: 3, value: samples.join("\n") })));
    set.append(field(`${code}-answer`, t.answer, Object.assign(el("textarea"), { rows: 3 })));
    set.append(Object.assign(el("p", "error"), { id: `gap-article-error-${code}` }));
    form.append(set);
  }
  const save = Object.assign(el("button", "primary", t.save), { id: "gap-article-save", type: "submit" });
  const cancel = Object.assign(el("button", "", t.cancel), { type: "button" });
  const said = Object.assign(el("p", ""), { id: "gap-article-saved" });
  said.setAttribute("role", "status");
  cancel.addEventListener("click", () => form.remove());
  form.addEventListener("submit", (event) => { event.preventDefault(); saveArticle(t).catch(() => {}); });
  form.append(save, cancel, said);
  box.append(form);
  $("gap-article-id").focus();
}

async function saveArticle(t) {
  document.querySelectorAll("#gap-article .error").forEach((p) => { p.textContent = ""; });
  const said = $("gap-article-saved");
  said.textContent = "";
  said.className = "";
  const texts = {};
  for (const code of LANGUAGES) {
    texts[code] = {
      title: $(`gap-article-${code}-title`).value,
      questions: $(`gap-article-${code}-questions`).value.split("\n").map((q) => q.trim()).filter(Boolean),
      answer: $(`gap-article-${code}-answer`).value,
    };
  }
  const id = $("gap-article-id").value.trim();
  try {
    await api("/api/agent/kb/articles", {
      method: "POST", body: JSON.stringify({ id, topic: $("gap-article-topic").value, texts }),
    });
    said.textContent = t.saved(id);
  } catch (error) {
    const detail = error.detail && typeof error.detail === "object" ? error.detail : null;
    // Next to the field the refusal names ("en.answer"), else its language ("es").
    const where = detail ? `gap-article-error-${String(detail.field).replace(".", "-")}` : "";
    if (where && $(where)) $(where).textContent = detail.message;
    else { said.textContent = error.message; said.className = "error"; }
  }
}
