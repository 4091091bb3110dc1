// Links in what users write are shown as text with a copy button, never as anchors: a
// user (or a scammer posing as one) is one click away from a phishing page otherwise.
import { el } from "./dom.js";
import { t } from "./texts.js";

const LINK = /\b(?:https?:\/\/|www\.)[^\s<>"'，。）)]+/giu;

export function textWithLinks(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    if (match.index > last) parts.push(document.createTextNode(text.slice(last, match.index)));
    const url = match[0].replace(/[.,;:!?]+$/u, ""); // the sentence's full stop isn't the link's
    parts.push(el("span", "link-text", url), copyButton(url));
    last = match.index + url.length;
  }
  if (last < text.length) parts.push(document.createTextNode(text.slice(last)));
  return parts;
}

function copyButton(url) {
  const button = el("button", "copy copy-link", t("copy"));
  button.type = "button";
  button.title = t("copy_link");
  button.setAttribute("aria-label", `${t("copy_link")}: ${url}`);
  button.addEventListener("click", () => navigator.clipboard?.writeText(url));
  return button;
}
