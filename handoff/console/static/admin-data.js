// The admin page's lower half: an end user's data (export as a JSON file, or erase
// everywhere, Rasa's tracker included) and the audit log. API: docs/desk-api.md.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";

const TEXT = {
  en: {
    privacy: "End user's data", user: "User id (telegram:123, or a platform id for every channel)",
    export: "Export JSON", erase: "Erase everything",
    confirm: (user) => `Erase everything stored about ${user}, on every channel, with the bot's memory of it? This cannot be undone.`,
    exported: (n) => `Exported ${n} conversation(s).`,
    erased: (g) => `Erased ${g.conversations} conversation(s), ${g.messages} message(s), ${g.tickets} ticket(s), ${g.files} file(s), ${g.tracker_events} bot event(s).`,
    audit: "Audit log", columns: ["Time", "Who", "Action", "Details"], system: "system",
  },
  zh: {
    privacy: "终端用户数据", user: "用户 ID（如 telegram:123，或平台 ID：所有渠道）",
    export: "导出 JSON", erase: "全部删除",
    confirm: (user) => `删除 ${user} 在所有渠道的全部数据（包括机器人的对话记录）？此操作无法撤销。`,
    exported: (n) => `已导出 ${n} 个会话。`,
    erased: (g) => `已删除 ${g.conversations} 个会话、${g.messages} 条消息、${g.tickets} 个工单、${g.files} 个文件、${g.tracker_events} 条机器人事件。`,
    audit: "审计日志", columns: ["时间", "操作人", "操作", "详情"], system: "系统",
  },
};
const t = () => TEXT[lang()];

export function setupAdminData(section) {
  const x = t();
  const form = el("form", "admin-privacy");
  const input = el("input");
  input.id = "privacy-user";
  input.required = true;
  input.maxLength = 200;
  const label = el("label", "", `${x.user} `);
  label.append(input);
  const exportButton = el("button", "", x.export);
  exportButton.type = "submit";
  const erase = el("button", "danger", x.erase);
  erase.type = "button";
  erase.id = "privacy-erase";
  form.append(label, exportButton, erase);
  form.addEventListener("submit", (event) => { event.preventDefault(); run(false); });
  erase.addEventListener("click", () => run(true));
  const status = el("p", "team-status");
  status.id = "privacy-status";
  status.setAttribute("role", "status");
  const error = el("p", "error");
  error.id = "privacy-error";
  error.setAttribute("role", "alert");
  const table = el("table", "team-table admin-audit");
  const head = el("tr");
  head.append(...x.columns.map((c) => el("th", "", c)));
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody");
  body.id = "audit-rows";
  table.append(thead, body);
  section.append(el("h3", "", x.privacy), form, status, error, el("h3", "", x.audit), table);
}

async function run(erasing) {
  const user = $("privacy-user").value.trim();
  $("privacy-status").textContent = "";
  $("privacy-error").textContent = "";
  if (!user || (erasing && !confirm(t().confirm(user)))) return;
  const path = erasing ? "/api/agent/admin/privacy/erase" : "/api/agent/admin/privacy/export";
  try {
    const result = await api(path, { method: "POST", body: JSON.stringify({ user }) });
    if (erasing) {
      $("privacy-status").textContent = t().erased(result);
    } else {
      download(`export-${user.replace(/[^\w.-]+/g, "_")}.json`, result);
      $("privacy-status").textContent = t().exported(result.conversations.length);
    }
  } catch (error) {
    $("privacy-error").textContent = error.message;
  }
  await refreshAdminData().catch(() => {});
}

function download(name, data) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const link = el("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export async function refreshAdminData() {
  const { rows } = await api("/api/agent/admin/audit?limit=50");
  $("audit-rows").replaceChildren(...rows.map((row) => {
    const tr = el("tr");
    tr.dataset.action = row.action;
    const detail = Object.entries(row.detail).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(" · ");
    tr.append(
      el("td", "", new Date(row.created_at).toLocaleString()), el("td", "", row.agent || t().system),
      el("td", "admin-action", row.action), el("td", "admin-detail", detail),
    );
    return tr;
  }));
}
