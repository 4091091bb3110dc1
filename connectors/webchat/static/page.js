import { $ } from "./dom.js";
import { t, uiLanguage } from "./strings.js";

export function applyLanguage() {
  document.documentElement.lang = uiLanguage();
  $("title").textContent = t("title");
  $("text").placeholder = t("placeholder");
  $("send").textContent = t("send");
  $("attach").title = t("attach");
  $("attach").setAttribute("aria-label", t("attach"));
  $("upload-send").textContent = t("sendFile");
  $("upload-cancel").setAttribute("aria-label", t("cancel"));
  setStatus($("status").dataset.state);
}

export function setStatus(name) {
  $("status").dataset.state = name;
  $("status-text").textContent = t(name);
}

export function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}
