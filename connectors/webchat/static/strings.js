// The page's own texts per language; server text arrives already translated.
import { $ } from "./dom.js";

export const MAX_TEXT = 4000;
export const STRINGS = {
  en: { title: "Support", placeholder: "Type a message…", send: "Send", connected: "Online",
        connecting: "Connecting…", reconnecting: "Reconnecting…", agent: "Agent",
        bot: "Assistant", system: "", tooLong: "Too long: at most 4000 characters are read",
        welcome: "Hi! Ask me anything about your wallet, or type “human” to talk to an agent.",
        failed: "Couldn't send. Your text is still in the box; try again." },
  zh: { title: "在线客服", placeholder: "请输入消息…", send: "发送", connected: "在线",
        connecting: "连接中…", reconnecting: "正在重新连接…", agent: "人工客服",
        bot: "智能助手", system: "", tooLong: "消息太长：最多读取 4000 个字符",
        welcome: "您好！钱包使用中的任何问题都可以问我，输入“转人工”可联系人工客服。",
        failed: "发送失败，内容仍在输入框中，请重试。" },
  es: { title: "Soporte", placeholder: "Escribe un mensaje…", send: "Enviar", connected: "En línea",
        connecting: "Conectando…", reconnecting: "Reconectando…", agent: "Agente",
        bot: "Asistente", system: "", tooLong: "Demasiado largo: se leen como máximo 4000 caracteres",
        welcome: "¡Hola! Pregúntame lo que quieras sobre tu billetera, o escribe «agente» para hablar con una persona.",
        failed: "No se pudo enviar. Tu texto sigue en el cuadro; inténtalo de nuevo." },
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

export function t(key) { return STRINGS[uiLanguage()][key]; }
