// The page's own texts per language; server text arrives already translated.
import { $ } from "./dom.js";

export const MAX_TEXT = 4000;
export const STRINGS = {
  en: { title: "Support", placeholder: "Type a message…", send: "Send", connected: "Online",
        connecting: "Connecting…", reconnecting: "Reconnecting…", agent: "Agent",
        bot: "Assistant", system: "", tooLong: "Too long: at most 4000 characters are read",
        welcome: "Hi! Ask me anything about your wallet, or type “human” to talk to an agent.",
        failed: "Couldn't send. Your text is still in the box; try again.",
        attach: "Send a screenshot or PDF", sendFile: "Send", cancel: "Cancel",
        fileTooLarge: "That file is too large (at most {limit} MB). Please crop or compress it and send it again.",
        fileType: "Only pictures (PNG, JPEG, WebP) and PDF files can be sent.",
        fileFailed: "Couldn't send the file; try again.", openFile: "Open" },
  zh: { title: "在线客服", placeholder: "请输入消息…", send: "发送", connected: "在线",
        connecting: "连接中…", reconnecting: "正在重新连接…", agent: "人工客服",
        bot: "智能助手", system: "", tooLong: "消息太长：最多读取 4000 个字符",
        welcome: "您好！钱包使用中的任何问题都可以问我，输入“转人工”可联系人工客服。",
        failed: "发送失败，内容仍在输入框中，请重试。",
        attach: "发送截图或 PDF", sendFile: "发送", cancel: "取消",
        fileTooLarge: "文件太大（最多 {limit} MB），请压缩或截取需要的部分后再发送。",
        fileType: "只能发送图片（PNG、JPEG、WebP）或 PDF 文件。",
        fileFailed: "文件发送失败，请重试。", openFile: "打开" },
  es: { title: "Soporte", placeholder: "Escribe un mensaje…", send: "Enviar", connected: "En línea",
        connecting: "Conectando…", reconnecting: "Reconectando…", agent: "Agente",
        bot: "Asistente", system: "", tooLong: "Demasiado largo: se leen como máximo 4000 caracteres",
        welcome: "¡Hola! Pregúntame lo que quieras sobre tu billetera, o escribe «agente» para hablar con una persona.",
        failed: "No se pudo enviar. Tu texto sigue en el cuadro; inténtalo de nuevo.",
        attach: "Enviar una captura o un PDF", sendFile: "Enviar", cancel: "Cancelar",
        fileTooLarge: "El archivo es demasiado grande (máximo {limit} MB). Recórtalo o comprímelo y envíalo otra vez.",
        fileType: "Solo se pueden enviar imágenes (PNG, JPEG, WebP) y archivos PDF.",
        fileFailed: "No se pudo enviar el archivo; inténtalo de nuevo.", openFile: "Abrir" },
};

export function chosenLanguage() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (fromUrl && STRINGS[fromUrl]) return fromUrl;
  const stored = localStorage.getItem("webchat.language");
  if (stored) return stored;
  return "auto";
}

export function uiLanguage() {
  const chosen = $("language").value;
  if (STRINGS[chosen]) return chosen;
  const nav = (navigator.language || "en").slice(0, 2);
  return STRINGS[nav] ? nav : "en";
}

export function t(key, values = {}) {
  return STRINGS[uiLanguage()][key].replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}
