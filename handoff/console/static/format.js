import { reasonText, t } from "./texts.js";

export function human(reason) { return reasonText(reason); }

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
  return left >= 0 ? t("due_in", { time: duration(left) }) : t("overdue_by", { time: duration(-left) });
}

// A time as the user's case holds it: its wall-clock reading and, when it has one, its
// UTC offset. Not converted to the agent's zone: "3 pm" in Shanghai stays 15:00 +08:00.
export function statedTime(iso) {
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso || "");
  if (!match) return iso || "";
  const [, date, clock, offset] = match;
  if (!offset) return `${date} ${clock}`;
  return `${date} ${clock} ${offset === "Z" ? "UTC" : `UTC${offset}`}`;
}
