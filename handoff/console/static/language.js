// The language switch in the top bar: the agent's choice, remembered in localStorage
// (read by i18n.js's lang()), applied at once to the page and the lists.
import { $ } from "./dom.js";
import { lang } from "./i18n.js";
import { showTitle } from "./notify.js";
import { showSendKey } from "./sendkey.js";
import { applyTexts, t } from "./texts.js";

const CONNECTION = { connecting: "connecting", connected: "live", reconnecting: "reconnecting" };

export function showTexts() {
  applyTexts();
  showTitle();
  showSendKey();
  const status = $("connection");
  status.textContent = t(CONNECTION[status.dataset.state] || "connecting");
}

export function wireLanguage(rerender) {
  const choice = $("lang");
  choice.value = lang();
  choice.addEventListener("change", () => {
    localStorage.setItem("console.lang", choice.value);
    showTexts();
    rerender();
  });
  showTexts();
}
