// The one-time set-password page an admin's link opens (/console/set-password.html#token=…).
// The token stays in the fragment: browsers never send it, so no log holds it.
// API: docs/desk-api.md, "Roles and accounts".
import { $ } from "./dom.js";
import { lang } from "./i18n.js";

const TEXT = {
  en: {
    title: "Set your password", new: "New password (10+ characters)", repeat: "Repeat it", save: "Save",
    who: (email) => `For ${email}.`, differ: "The passwords differ.",
    done: "Your password is set. ", login: "Log in", gone: "This link is unknown, expired or already used: ask an admin for a new one.",
  },
  zh: {
    title: "设置密码", new: "新密码（至少 10 个字符）", repeat: "再输入一次", save: "保存",
    who: (email) => `账号：${email}。`, differ: "两次输入的密码不一致。",
    done: "密码已设置。", login: "登录", gone: "此链接无效、已过期或已使用：请联系管理员获取新链接。",
  },
};
const t = TEXT[lang()];
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  return { status: response.status, data };
}

function refuse(text) {
  $("set-error").textContent = text;
  $("set-button").disabled = true;
}

async function start() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  $("set-title").textContent = t.title;
  $("set-new").textContent = t.new;
  $("set-repeat").textContent = t.repeat;
  $("set-button").textContent = t.save;
  const { status, data } = await post("/api/agent/password-link/check", { token });
  if (status !== 200) return refuse(t.gone);
  $("set-who").textContent = t.who(data.email);
  $("set-form").addEventListener("submit", save);
}

async function save(event) {
  event.preventDefault();
  $("set-error").textContent = "";
  if ($("set-password").value !== $("set-again").value) {
    $("set-error").textContent = t.differ;
    return;
  }
  const { status, data } = await post("/api/agent/password-link", { token, password: $("set-password").value });
  if (status === 410) return refuse(t.gone);
  if (status !== 204) {
    $("set-error").textContent = data.detail || String(status);
    return;
  }
  $("set-password").value = $("set-again").value = "";
  $("set-button").disabled = true;
  const done = $("set-done");
  const link = document.createElement("a");
  link.href = "/console/";
  link.textContent = t.login;
  done.replaceChildren(document.createTextNode(t.done), link);
  done.hidden = false;
  history.replaceState(null, "", location.pathname); // the used token out of the address bar
}

start();
