// Screenshots and PDFs: pick one, see it, send it with a progress bar. The server
// decides what a file is (by its bytes) and says why it refuses one; the size is
// checked here first, so a too-large file is never sent at all.
import { api, upload } from "./api.js";
import { $ } from "./dom.js";
import { upsert } from "./messages.js";
import { showError } from "./page.js";
import { state } from "./state.js";
import { STRINGS, t } from "./strings.js";

const TYPES = ["image/png", "image/jpeg", "image/webp", "application/pdf"];
let limits = { max_bytes: 10 * 1024 * 1024, types: TYPES };
let chosen = null;
let preview = null;

export async function loadLimits() {
  const { status, body } = await api("/webchat/api/uploads/limits");
  if (status === 200) limits = body;
}

function megabytes() { return String(Math.round((limits.max_bytes / 2 ** 20) * 10) / 10); }

function clear() {
  chosen = null;
  if (preview) URL.revokeObjectURL(preview);
  preview = null;
  $("file").value = "";
  $("upload").hidden = true;
  $("upload-preview").hidden = true;
  $("upload-progress").hidden = true;
  $("upload-send").disabled = false;
}

function choose() {
  const file = $("file").files[0];
  clear();
  if (!file) return;
  if (file.size > limits.max_bytes) {
    showError(t("fileTooLarge", { limit: megabytes() }));
    return;
  }
  // The browser's guess from the name: a first filter only, the server reads the bytes.
  if (file.type && !limits.types.includes(file.type)) {
    showError(t("fileType"));
    return;
  }
  showError("");
  chosen = file;
  $("upload-name").textContent = `${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)`;
  if (file.type.startsWith("image/")) {
    preview = URL.createObjectURL(file);
    $("upload-preview").src = preview;
    $("upload-preview").hidden = false;
  }
  $("upload").hidden = false;
}

async function send() {
  if (!chosen || state.sending) return;
  const language = STRINGS[$("language").value] ? $("language").value : "";
  const client_id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  state.sending = true;
  $("upload-send").disabled = true;
  $("upload-progress").value = 0;
  $("upload-progress").hidden = false;
  try {
    const query = language ? { language, client_id } : { client_id };
    const { status, body } = await upload(chosen, query, (done) => {
      $("upload-progress").value = Math.round(done * 100);
    });
    if (status !== 200) {
      showError(body.detail || t("fileFailed"));
      // Refused for what the file is (413, 415, 422): sending it again can't help.
      if ([413, 415, 422].includes(status)) clear();
      $("upload-send").disabled = false;
      $("upload-progress").hidden = true;
      return;
    }
    showError("");
    if (body.message) upsert(body.message);
    (body.replies || []).forEach(upsert);
    clear();
  } catch (error) {
    showError(t("fileFailed"));
    $("upload-send").disabled = false;
  } finally {
    state.sending = false;
  }
}

export function setUpUploads() {
  $("file").addEventListener("change", choose);
  // The paperclip is a label: Enter or Space opens the file chooser from the keyboard too.
  $("attach").addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      $("file").click();
    }
  });
  // A file named like a picture that isn't one: no broken-image icon, the name is enough.
  $("upload-preview").addEventListener("error", () => { $("upload-preview").hidden = true; });
  $("upload-send").addEventListener("click", send);
  $("upload-cancel").addEventListener("click", () => { clear(); showError(""); });
}
