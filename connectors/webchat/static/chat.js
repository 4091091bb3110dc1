// The web chat page: stands in for the in-app support chat. See docs/desk-api.md.
// The entry module: it only wires the page to the other modules (no build step; the
// browser loads them by their relative imports).
import { ensureVisitor } from "./api.js";
import { submit, updateCounter } from "./composer.js";
import { $ } from "./dom.js";
import { catchUp, connect, RESYNC_MS } from "./live.js";
import { applyLanguage, showError } from "./page.js";
import { chosenLanguage } from "./strings.js";
import { loadLimits, setUpUploads } from "./upload.js";

async function start() {
  $("language").value = chosenLanguage();
  applyLanguage();
  $("language").addEventListener("change", () => {
    localStorage.setItem("webchat.language", $("language").value);
    applyLanguage();
  });
  $("composer").addEventListener("submit", submit);
  $("text").addEventListener("input", updateCounter);
  setUpUploads();
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  try {
    await ensureVisitor();
  } catch (error) {
    showError(String(error.message || error));
    return;
  }
  await Promise.all([catchUp(), loadLimits().catch(() => {})]);
  connect();
  setInterval(() => { if (!document.hidden) catchUp().catch(() => {}); }, RESYNC_MS);
}

start();
