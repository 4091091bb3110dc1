// The stolen-funds case file beside the open session (GET .../case-file): what the chain
// checks found, with each transaction's explorer link. "Download" saves it as Markdown;
// "Insert for the user" puts it, in the user's language, in the reply box, to read and
// send like any reply (the guard checks it then too).
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { showHint } from "./canned.js";

const TEXT = {
  en: {
    heading: "Case file",
    download: "Download (.md)",
    insert: "Insert for the user",
    claim: "Claim the session to reply",
    failed: (why) => `The case file is unavailable: ${why}`,
    guard: (why) => `⚠ It can't be sent to the user as it is: ${why}`,
  },
  zh: {
    heading: "案件记录",
    download: "下载（.md）",
    insert: "插入回复（用户的语言）",
    claim: "认领会话后才能回复",
    failed: (why) => `案件记录不可用：${why}`,
    guard: (why) => `⚠ 原文不能发给用户：${why}`,
  },
};
const t = () => TEXT[lang()];
let current = null; // the session shown

function hasCase(session) {
  const details = session.payload?.details || {};
  return Boolean(details.forensic || details.affected_address);
}

async function show(session) {
  current = session.id;
  const box = $("casefile");
  box.hidden = !hasCase(session);
  if (box.hidden) return;
  const pre = $("casefile-text");
  const note = $("casefile-guard");
  try {
    const file = await api(`/api/agent/sessions/${session.id}/case-file?language=${lang()}`);
    if (current !== session.id) return;
    pre.textContent = file.text;
    note.textContent = "";
    $("casefile-download").onclick = () => download(file);
  } catch (error) {
    if (current === session.id) pre.textContent = t().failed(error.message);
  }
  enable();
}

function download(file) {
  const link = el("a");
  link.href = URL.createObjectURL(new Blob([file.text], { type: "text/markdown;charset=utf-8" }));
  link.download = file.filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function insert() {
  const id = current;
  const file = await api(`/api/agent/sessions/${id}/case-file`); // the user's language
  if (id !== current) return;
  if (file.refused) {
    $("casefile-guard").textContent = t().guard(file.refused);
    return;
  }
  const area = $("reply-text");
  area.value = area.value.trimEnd() ? `${area.value.trimEnd()}\n\n${file.text}` : file.text;
  area.focus();
  showHint();
}

function enable() {
  const mine = !$("reply-text").disabled;
  const button = $("casefile-insert");
  button.disabled = !mine;
  button.title = mine ? "" : t().claim;
}

export function initCaseFile() {
  const box = el("section", "casefile");
  box.id = "casefile";
  box.hidden = true;
  const download = el("button", "", t().download);
  download.id = "casefile-download";
  const insertButton = el("button", "", t().insert);
  insertButton.id = "casefile-insert";
  for (const button of [download, insertButton]) button.type = "button";
  insertButton.addEventListener("click", () => insert().catch((e) => { $("casefile-guard").textContent = t().failed(e.message); }));
  const pre = el("pre", "casefile-text mono");
  pre.id = "casefile-text";
  const note = el("p", "error");
  note.id = "casefile-guard";
  box.append(el("h3", "", t().heading), pre, download, insertButton, note);
  $("summary").after(box);
  document.addEventListener("session-opened", (event) => {
    const { session, switched } = event.detail;
    if (switched || current !== session.id) show(session);
    else enable();
  });
}
