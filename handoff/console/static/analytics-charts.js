// The Analytics page's figures drawn: the tiles, the Chart.js charts and the agents'
// table (analytics.js builds the page and fetches the data). Text is set with
// textContent only.
import { $, el } from "./dom.js";

const COLORS = ["#1f4fd6", "#17a673", "#e8a33d", "#d92d20", "#7a5af8", "#0ba5ec", "#667085", "#c11574", "#4e5ba6", "#93370d"];
const charts = new Map(); // chart key -> Chart instance, destroyed before a redraw

export function destroyCharts() {
  for (const chart of charts.values()) chart.destroy();
  charts.clear();
}

function minutes(seconds) { return seconds == null ? null : Math.round(seconds / 6) / 10; }

function duration(seconds, x) {
  if (seconds == null) return x.none;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function tile(label, value) {
  const box = el("div", "analytics-tile");
  box.append(el("span", "analytics-value", value), el("span", "analytics-label", label));
  return box;
}

function plot(Chart, key, type, labels, datasets, options = {}) {
  charts.get(key)?.destroy();
  const chart = new Chart($(`chart-${key}`), {
    type,
    data: { labels, datasets },
    options: {
      animation: false, // drawn at once: a redraw never flickers, a screenshot is final
      maintainAspectRatio: false,
      plugins: { legend: { display: datasets.length > 1 } },
      scales: type === "doughnut" ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } },
      ...options,
    },
  });
  charts.set(key, chart);
}

export function render(Chart, data, x) {
  const c = data.conversations;
  const share = c.bot_resolved_share == null ? x.none : `${Math.round(c.bot_resolved_share * 100)}%`;
  const avg = data.csat.average == null ? x.none : data.csat.average.toFixed(2);
  $("analytics-tiles").replaceChildren(
    tile(x.conversations, String(c.total)),
    tile(x.share, share),
    tile(x.handoffs_total, String(data.handoffs.total)),
    tile(`${x.first_reply} · ${x.median} / p90`, `${duration(data.times.first_reply.median, x)} / ${duration(data.times.first_reply.p90, x)}`),
    tile(`${x.resolve} · ${x.median} / p90`, `${duration(data.times.resolve.median, x)} / ${duration(data.times.resolve.p90, x)}`),
    tile(x.tickets_opened, String(data.tickets.opened)),
    tile(x.breaches, String(data.tickets.breaches)),
    tile(`CSAT ${x.average} (${data.csat.count})`, avg),
  );
  const labels = c.series.map((r) => r.label);
  plot(Chart, "conversations", "bar", labels, [
    { label: x.conversations, data: c.series.map((r) => r.conversations), backgroundColor: COLORS[0] },
    { label: x.bot_resolved, data: c.series.map((r) => r.bot_resolved), backgroundColor: COLORS[1] },
  ]);
  const reasons = data.handoffs.by_reason;
  plot(Chart, "handoffs", "bar", reasons.map((r) => r.reason), [
    { label: x.handoffs, data: reasons.map((r) => r.count), backgroundColor: reasons.map((_, i) => COLORS[i % COLORS.length]) },
  ], { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } });
  const times = data.times;
  plot(Chart, "times", "bar", [x.first_reply, x.resolve], [
    { label: x.median, data: [minutes(times.first_reply.median), minutes(times.resolve.median)], backgroundColor: COLORS[0] },
    { label: x.p90, data: [minutes(times.first_reply.p90), minutes(times.resolve.p90)], backgroundColor: COLORS[2] },
  ]);
  plot(Chart, "tickets", "bar", labels, [
    { label: x.tickets_opened, data: data.tickets.series.map((r) => r.tickets), backgroundColor: COLORS[5] },
    { label: x.breaches, data: data.tickets.series.map((r) => r.breaches), backgroundColor: COLORS[3] },
  ]);
  plot(Chart, "csat", "bar", data.csat.distribution.map((r) => `${r.score}★`), [
    { label: x.ratings, data: data.csat.distribution.map((r) => r.count), backgroundColor: ["#d92d20", "#f97066", "#e8a33d", "#6ce9a6", "#17a673"] },
  ]);
  plot(Chart, "hours", "bar", data.hours.map((r) => String(r.hour).padStart(2, "0")), [
    { label: x.messages, data: data.hours.map((r) => r.messages), backgroundColor: COLORS[4] },
  ]);
  const body = $("analytics-agents");
  body.replaceChildren();
  if (!data.agents.length) {
    const row = el("tr");
    const cell = el("td", "empty", x.no_data);
    cell.colSpan = 5;
    row.append(cell);
    body.append(row);
  }
  for (const a of data.agents) {
    const row = el("tr");
    row.dataset.agentId = String(a.agent_id);
    const csat = a.csat_average == null ? x.none : a.csat_average.toFixed(2);
    row.append(
      el("td", "", a.name),
      el("td", "", String(a.sessions)),
      el("td", "", duration(a.median_first_reply, x)),
      el("td", "", csat),
      el("td", "", String(a.csat_count)),
    );
    body.append(row);
  }
}
