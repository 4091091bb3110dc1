import { $ } from "./dom.js";
import { state } from "./state.js";
import { STRINGS } from "./strings.js";

const KEY = "webchat.visitor";

export async function api(path, options = {}, renewed = false) {
  const headers = { "Content-Type": "application/json" };
  if (state.visitor) headers.Authorization = `Bearer ${state.visitor.token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && state.visitor && !renewed) {
    // Expired (or from before tokens expired): the same visitor gets a fresh token and
    // keeps the conversation; only a token that can't be renewed starts a new visitor.
    if ((await renew()) === 401) {
      localStorage.removeItem(KEY);
      state.visitor = null;
      await ensureVisitor();
    }
    return api(path, options, true);
  }
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

function keep(visitor) {
  state.visitor = visitor;
  localStorage.setItem(KEY, JSON.stringify(visitor));
  schedule();
}

// Renew halfway through the token's life, while the page stays open too.
let timer = null;
function schedule() {
  clearTimeout(timer);
  const after = state.visitor && state.visitor.renew_after;
  if (!after) return;
  const wait = Math.max(0, after * 1000 - Date.now());
  timer = setTimeout(() => renew().catch(() => {}), Math.min(wait, 2 ** 31 - 1));
}

// The status: 200 renewed, 401 not renewable (start a new visitor), else try later.
export async function renew() {
  if (!state.visitor) return 401;
  const response = await fetch("/webchat/api/visitors/renew", {
    method: "POST", headers: { Authorization: `Bearer ${state.visitor.token}` },
  });
  if (response.status === 200) keep(await response.json());
  return response.status;
}

export async function ensureVisitor() {
  const saved = localStorage.getItem(KEY);
  if (saved) {
    state.visitor = JSON.parse(saved);
    const due = !state.visitor.renew_after || Date.now() >= state.visitor.renew_after * 1000;
    if (!due) { schedule(); return; }
    if ((await renew()) !== 401) return; // renewed, or kept for a later try
    localStorage.removeItem(KEY);
    state.visitor = null;
  }
  const language = STRINGS[$("language").value] ? $("language").value : null;
  const { status, body } = await api("/webchat/api/visitors", {
    method: "POST", body: JSON.stringify({ language }),
  });
  if (status !== 201) throw new Error(body.detail || "could not start a chat");
  keep(body);
}

// A file as the raw body of one POST, with upload progress (fetch has none): resolves
// to { status, body } like api(). An expired token is renewed once, as api() does.
export function upload(file, query, onProgress, renewed = false) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", `/webchat/api/uploads?${new URLSearchParams(query)}`);
    request.setRequestHeader("Authorization", `Bearer ${state.visitor.token}`);
    // The name goes in a header, not the URL: URLs are logged, and a name can be a secret.
    request.setRequestHeader("X-File-Name", encodeURIComponent(file.name || ""));
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = async () => {
      if (request.status === 401 && !renewed && (await renew()) === 200) {
        upload(file, query, onProgress, true).then(resolve, reject);
        return;
      }
      let body = {};
      try { body = JSON.parse(request.responseText); } catch { /* not JSON: a proxy's page */ }
      resolve({ status: request.status, body });
    };
    request.onerror = () => reject(new Error("network"));
    request.send(file);
  });
}

// A file the visitor sent, fetched with the token (an <img> can't send one).
export async function fileUrl(messageId) {
  const response = await fetch(`/webchat/api/files/${messageId}`, {
    headers: { Authorization: `Bearer ${state.visitor.token}` },
  });
  if (!response.ok) return null;
  return URL.createObjectURL(await response.blob());
}
