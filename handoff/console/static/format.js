export function human(reason) { return (reason || "").replaceAll("_", " "); }

export function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${seconds % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export function localTime(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" }) : "";
}

export function waited(session) {
  if (session.state === "queued" || session.state === "reopened") {
    const since = new Date(session.queued_at).getTime();
    return (Date.now() - since) / 1000;
  }
  return session.waiting_seconds;
}

export function isOverdue(session) {
  if (session.state === "resolved" || !session.due_at) return false;
  return session.overdue || new Date(session.due_at).getTime() < Date.now();
}

export function dueText(session) {
  if (!session.due_at || session.state === "resolved") return "";
  const left = (new Date(session.due_at).getTime() - Date.now()) / 1000;
  return left >= 0 ? `due in ${duration(left)}` : `overdue ${duration(-left)}`;
}
