// Admins' page in the console: accounts (create with a password or a one-time link,
// role, languages, disable), and (admin-data.js) an end user's data and the audit log.
// The API refuses all of it to others (403); the button only shows for admins.
// API: docs/desk-api.md, "Roles and accounts".
import { setupAdminData, refreshAdminData } from "./admin-data.js";
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { state } from "./state.js";

const TEXT = {
  en: {
    open: "Admin", title: "Accounts", close: "Close", create: "Create account",
    email: "Email", name: "Name", role: "Role", password: "Initial password (optional: else a link)",
    roles: { agent: "Agent", supervisor: "Supervisor", admin: "Admin" },
    columns: ["Name", "Email", "Role", "Languages", "Status", ""],
    save: "Save", saved: "Saved", disable: "Disable", enable: "Enable", disabled: "disabled",
    active: "active", link: "New link", created: (email) => `Created ${email}.`,
    send: "Send this link to the agent: it sets their password once, and expires",
    role_set: (name, role) => `${name} is now ${role}.`,
    confirm_disable: (name) => `Disable ${name}? Their chats go back to the queue.`,
  },
  zh: {
    open: "管理", title: "账号", close: "关闭", create: "创建账号",
    email: "邮箱", name: "姓名", role: "角色", password: "初始密码（可不填：改为生成一次性链接）",
    roles: { agent: "客服", supervisor: "主管", admin: "管理员" },
    columns: ["姓名", "邮箱", "角色", "语言", "状态", ""],
    save: "保存", saved: "已保存", disable: "停用", enable: "启用", disabled: "已停用",
    active: "启用中", link: "新链接", created: (email) => `已创建 ${email}。`,
    send: "请把此链接发给该客服：只能用一次设置密码，过期时间",
    role_set: (name, role) => `${name} 现在是${role}。`,
    confirm_disable: (name) => `停用 ${name}？其会话将回到队列。`,
  },
};
const LANGUAGES = ["zh", "en", "es"];
const ROLES = ["agent", "supervisor", "admin"];
const t = () => TEXT[lang()];

let open = false;

// Called with the caller's role whenever the console refreshes it (team.js).
export function showAdmin(role) {
  const button = $("admin-open");
  if (button) button.hidden = role !== "admin";
  if (role !== "admin" && open) toggle(false);
}

export function setupAdmin() {
  const button = el("button", "", t().open);
  button.id = "admin-open";
  button.type = "button";
  button.hidden = true;
  $("team-open").after(button);
  button.addEventListener("click", () => toggle(!open));
  $("conversation").prepend(panel());
  setupAdminData($("admin"));
  $("queue").addEventListener("click", () => toggle(false)); // a session was opened
  $("team-open").addEventListener("click", () => toggle(false)); // one panel at a time
}

function panel() {
  const x = t();
  const section = el("section", "admin");
  section.id = "admin";
  section.hidden = true;
  const head = el("header", "team-head");
  const close = el("button", "", x.close);
  close.type = "button";
  close.addEventListener("click", () => toggle(false));
  head.append(el("h2", "", x.title), close);
  const form = el("form", "admin-create");
  form.id = "admin-create";
  const field = (id, label, type) => {
    const input = el("input");
    input.id = id;
    input.type = type;
    const wrap = el("label", "", label + " ");
    wrap.append(input);
    form.append(wrap);
    return input;
  };
  field("admin-email", x.email, "email").required = true;
  field("admin-name", x.name, "text").required = true;
  const role = roleSelect("agent");
  role.id = "admin-role";
  const roleLabel = el("label", "", x.role + " ");
  roleLabel.append(role);
  form.append(roleLabel, languageBoxes(LANGUAGES, "admin-new-languages"));
  field("admin-password", x.password, "password").autocomplete = "new-password";
  const submit = el("button", "primary", x.create);
  submit.type = "submit";
  form.append(submit);
  form.addEventListener("submit", create);
  const status = el("p", "team-status");
  status.id = "admin-status";
  status.setAttribute("role", "status");
  const error = el("p", "error");
  error.id = "admin-error";
  error.setAttribute("role", "alert");
  const link = el("input", "admin-link");
  link.id = "admin-link";
  link.readOnly = true;
  link.hidden = true;
  const table = el("table", "team-table");
  const headRow = el("tr");
  headRow.append(...x.columns.map((c) => el("th", "", c)));
  const thead = el("thead");
  thead.append(headRow);
  const body = el("tbody");
  body.id = "admin-rows";
  table.append(thead, body);
  section.append(head, form, status, link, error, table);
  return section;
}

function roleSelect(value) {
  const select = el("select", "admin-role-select");
  for (const role of ROLES) {
    const option = el("option", "", t().roles[role]);
    option.value = role;
    select.append(option);
  }
  select.value = value;
  return select;
}

function languageBoxes(checked, id) {
  const box = el("span", "admin-languages");
  if (id) box.id = id;
  for (const code of LANGUAGES) {
    const input = el("input");
    input.type = "checkbox";
    input.value = code;
    input.checked = checked.includes(code);
    const label = el("label", "team-language");
    label.append(input, document.createTextNode(code.toUpperCase()));
    box.append(label);
  }
  return box;
}

const chosen = (box) => [...box.querySelectorAll("input:checked")].map((b) => b.value);

async function toggle(show) {
  open = show;
  $("admin").hidden = !show;
  if (show && !$("team").hidden) $("team-close").click();
  // The team panel (team.js) hides the session the same way: keep it hidden for that one.
  $("conversation").classList.toggle("supervising", show || !$("team").hidden);
  if (show) await render();
}

// Runs a change; *call* returns what to tell the admin once it is done.
async function act(call) {
  $("admin-error").textContent = "";
  $("admin-status").textContent = "";
  try {
    $("admin-status").textContent = (await call()) || "";
  } catch (error) {
    $("admin-error").textContent = error.message;
  }
  await render().catch(() => {});
}

async function create(event) {
  event.preventDefault();
  const link = $("admin-link");
  link.hidden = true;
  await act(async () => {
    const password = $("admin-password").value;
    const made = await api("/api/agent/admin/agents", {
      method: "POST",
      body: JSON.stringify({
        email: $("admin-email").value,
        display_name: $("admin-name").value,
        role: $("admin-role").value,
        languages: chosen($("admin-new-languages")),
        password: password || null,
      }),
    });
    $("admin-create").reset();
    $("admin-password").value = "";
    if (!made.link) return t().created(made.agent.email);
    showLink(made.link);
    return `${t().created(made.agent.email)} ${$("admin-link").title}`;
  });
}

function showLink(link) {
  const input = $("admin-link");
  input.value = location.origin + link.url;
  input.hidden = false;
  input.title = `${t().send} ${new Date(link.expires_at).toLocaleString()}`;
  $("admin-status").textContent = input.title;
}

async function render() {
  const { agents } = await api("/api/agent/admin/agents");
  const body = $("admin-rows");
  body.replaceChildren(...agents.map(row));
  await refreshAdminData();
}

function row(account) {
  const x = t();
  const tr = el("tr");
  tr.dataset.agentId = String(account.id);
  tr.classList.toggle("disabled", !account.active);
  tr.classList.toggle("me", state.me && state.me.id === account.id);
  const role = roleSelect(account.role);
  role.setAttribute("aria-label", `${x.role}: ${account.display_name}`);
  role.addEventListener("change", () => act(async () => {
    await patch(account, { role: role.value });
    return x.role_set(account.display_name, x.roles[role.value]);
  }));
  const languages = el("td", "admin-langs");
  const boxes = languageBoxes(account.languages);
  const save = el("button", "", x.save);
  save.type = "button";
  save.addEventListener("click", () => act(async () => {
    await patch(account, { languages: chosen(boxes) });
    return `${account.display_name}: ${x.saved}`;
  }));
  languages.append(boxes, save);
  const toggleActive = el("button", "", account.active ? x.disable : x.enable);
  toggleActive.type = "button";
  toggleActive.className = "admin-active";
  toggleActive.addEventListener("click", () => {
    if (account.active && !confirm(x.confirm_disable(account.display_name))) return;
    act(async () => { await patch(account, { active: !account.active }); });
  });
  const link = el("button", "", x.link);
  link.type = "button";
  link.disabled = !account.active;
  link.addEventListener("click", () => act(async () => {
    showLink(await api(`/api/agent/admin/agents/${account.id}/link`, { method: "POST" }));
    return $("admin-status").textContent;
  }));
  const roleCell = el("td");
  roleCell.append(role);
  const actions = el("td");
  actions.append(toggleActive, link);
  tr.append(
    el("td", "team-name", account.display_name), el("td", "", account.email), roleCell,
    languages, el("td", "admin-state", account.active ? x.active : x.disabled), actions,
  );
  return tr;
}

function patch(account, change) {
  return api(`/api/agent/admin/agents/${account.id}`, { method: "PATCH", body: JSON.stringify(change) });
}
