// The Analytics page (supervisors): figures for a period from GET /api/agent/analytics,
// drawn with Chart.js (chart.umd.min.js, vendored with chart.LICENSE.md: no CDN), each
// chart with its CSV export. API: docs/desk-api.md, "Analytics". Server text is set
// with textContent only.
import { destroyCharts, render } from "./analytics-charts.js";
import { api, ApiError } from "./api.js";
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";
import { state } from "./state.js";

const TEXT = {
  en: {
    open: "Analytics", title: "Analytics", close: "Close", refresh: "Refresh", csv: "CSV",
    periods: { today: "Today", "7d": "Last 7 days", "30d": "Last 30 days", custom: "Custom" },
    from: "From", to: "To", channel: "Channel", language: "Language", all: "All",
    conversations: "Conversations", bot_resolved: "Resolved by the bot",
    share: "Bot-resolved share", handoffs_total: "Handoffs", handoffs: "Handoffs by reason",
    times: "Time to first agent reply and to resolve (minutes)", first_reply: "First reply",
    resolve: "Resolve", median: "Median", p90: "90th percentile",
    tickets: "Tickets opened and SLA breaches", tickets_opened: "Tickets opened", breaches: "SLA breaches",
    csat: "Satisfaction (CSAT)", ratings: "Ratings", average: "Average",
    hours: "Busiest hours (user messages)", messages: "Messages",
    agents: "Agents", columns: ["Agent", "Sessions handled", "Median first reply", "CSAT", "Ratings"],
    no_data: "No data for this period.", none: "—",
  },
  zh: {
    open: "数据分析", title: "数据分析", close: "关闭", refresh: "刷新", csv: "CSV",
    periods: { today: "今天", "7d": "最近 7 天", "30d": "最近 30 天", custom: "自定义" },
    from: "从", to: "到", channel: "渠道", language: "语言", all: "全部",
    conversations: "会话数", bot_resolved: "机器人解决",
    share: "机器人解决率", handoffs_total: "转人工", handoffs: "转人工原因",
    times: "首次人工回复与解决用时（分钟）", first_reply: "首次回复",
    resolve: "解决", median: "中位数", p90: "90 分位",
    tickets: "新建工单与超时（SLA）", tickets_opened: "新建工单", breaches: "SLA 超时",
    csat: "满意度（CSAT）", ratings: "评分数", average: "平均分",
    hours: "繁忙时段（用户消息）", messages: "消息数",
    agents: "客服", columns: ["客服", "处理会话", "首次回复中位数", "满意度", "评分数"],
    no_data: "该时段没有数据。", none: "—",
  },
};
const CHANNELS = ["webchat", "telegram", "wechat", "rest"];
const LANGUAGES = ["zh", "en", "es"];
const t = () => TEXT[lang()];
let loaded = null; // the promise of Chart.js, loaded on first use

function loadChartJs() {
  loaded ??= new Promise((resolve, reject) => {
    const script = el("script");
    script.src = "/console/chart.umd.min.js";
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error("chart.umd.min.js did not load"));
    document.head.append(script);
  });
  return loaded;
}

function select(id, label, options) {
  const box = el("select");
  box.id = id;
  box.setAttribute("aria-label", label);
  for (const [value, text] of options) {
    const option = el("option", "", text);
    option.value = value;
    box.append(option);
  }
  return box;
}

function dateInput(id, label) {
  const input = el("input");
  input.type = "date";
  input.id = id;
  input.setAttribute("aria-label", label);
  return input;
}

function card(key, title, wide = false) {
  const box = el("section", `analytics-card${wide ? " wide" : ""}`);
  box.dataset.chart = key;
  const head = el("header", "analytics-card-head");
  const csv = el("button", "analytics-csv", t().csv);
  csv.type = "button";
  csv.addEventListener("click", () => exportCsv(key).catch((error) => say(error.message)));
  head.append(el("h3", "", title), csv);
  box.append(head);
  if (key !== "agents") {
    const frame = el("div", "analytics-frame");
    const canvas = el("canvas");
    canvas.id = `chart-${key}`;
    frame.append(canvas);
    box.append(frame);
  }
  return box;
}

function build() {
  const x = t();
  const page = el("section", "analytics");
  page.id = "analytics";
  page.dataset.lang = lang();
  page.hidden = true;
  const head = el("header", "analytics-head");
  const close = el("button", "", x.close);
  close.type = "button";
  close.id = "analytics-close";
  close.addEventListener("click", () => show(false));
  const period = select("analytics-period", x.title, Object.entries(x.periods));
  period.value = "7d";
  const from = dateInput("analytics-from", x.from);
  const to = dateInput("analytics-to", x.to);
  const channel = select("analytics-channel", x.channel, [["", `${x.channel}: ${x.all}`], ...CHANNELS.map((c) => [c, c])]);
  const language = select("analytics-language", x.language, [["", `${x.language}: ${x.all}`], ...LANGUAGES.map((l) => [l, l.toUpperCase()])]);
  const refresh = el("button", "primary", x.refresh);
  refresh.type = "button";
  refresh.id = "analytics-refresh";
  const custom = () => { from.hidden = to.hidden = period.value !== "custom"; };
  period.addEventListener("change", () => { custom(); if (period.value !== "custom") draw(); });
  for (const input of [channel, language]) input.addEventListener("change", () => draw());
  refresh.addEventListener("click", () => draw());
  custom();
  head.append(el("h2", "", x.title), period, from, to, channel, language, refresh, close);
  const error = el("p", "error");
  error.id = "analytics-error";
  error.setAttribute("role", "alert");
  const tiles = el("div", "analytics-tiles");
  tiles.id = "analytics-tiles";
  const grid = el("div", "analytics-grid");
  grid.append(
    card("conversations", x.conversations, true),
    card("handoffs", x.handoffs),
    card("times", x.times),
    card("tickets", x.tickets),
    card("csat", x.csat),
    card("hours", x.hours, true),
  );
  const agents = card("agents", x.agents, true);
  const table = el("table", "team-table analytics-agents");
  const row = el("tr");
  row.append(...x.columns.map((c) => el("th", "", c)));
  const thead = el("thead");
  thead.append(row);
  const body = el("tbody");
  body.id = "analytics-agents";
  table.append(thead, body);
  agents.append(table);
  grid.append(agents);
  page.append(head, error, tiles, grid);
  document.body.append(page);
}

function say(text) { $("analytics-error").textContent = text; }

function query() {
  const params = new URLSearchParams({ period: $("analytics-period").value });
  if (params.get("period") === "custom") {
    params.set("start", $("analytics-from").value);
    params.set("end", $("analytics-to").value);
  }
  for (const [name, id] of [["channel", "analytics-channel"], ["language", "analytics-language"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) params.set("tz", zone);
  return params.toString();
}

// The CSV comes with the agent's bearer token, so it is fetched and handed to the
// browser as a file rather than linked.
async function exportCsv(key) {
  const response = await fetch(`/api/agent/analytics/${key}.csv?${query()}`, {
    headers: { Authorization: `Bearer ${state.token}` },
  });
  if (!response.ok) throw new ApiError(response.status, (await response.json().catch(() => ({}))).detail || response.statusText);
  const link = el("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `${key}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function draw() {
  say("");
  if ($("analytics-period").value === "custom" && !($("analytics-from").value && $("analytics-to").value)) return;
  const page = $("analytics");
  page.dataset.state = "loading";
  try {
    const [Chart, data] = await Promise.all([loadChartJs(), api(`/api/agent/analytics?${query()}`)]);
    render(Chart, data, t());
    page.dataset.state = "ready";
  } catch (error) {
    say(error.message);
    page.dataset.state = "error";
  }
}

function show(visible) {
  const built = $("analytics");
  if (built && built.dataset.lang !== lang()) { // the agent switched language: rebuild
    destroyCharts();
    built.remove();
  }
  if (!$("analytics")) build();
  const page = $("analytics");
  page.hidden = !visible;
  if (visible) {
    page.style.top = `${document.querySelector(".topbar").offsetHeight}px`; // below the bar
    draw();
  }
}

// Shown to supervisors only (the API refuses others with 403 anyway). Decided once
// the console opens after a login, from the caller's routing profile.
async function allow() {
  const me = await api("/api/agent/routing/me");
  $("analytics-open").hidden = !["supervisor", "admin"].includes(me.role);
}

export function initAnalytics() {
  const style = el("link");
  style.rel = "stylesheet";
  style.href = "/console/analytics.css";
  document.head.append(style);
  const open = el("button", "", t().open);
  open.type = "button";
  open.id = "analytics-open";
  $("lang").addEventListener("change", () => { open.textContent = t().open; });
  open.hidden = true;
  open.addEventListener("click", () => show(true));
  $("agent-name").before(open);
  const main = $("main-view");
  new MutationObserver(() => {
    if (main.hidden) { if ($("analytics")) $("analytics").hidden = true; open.hidden = true; }
    else allow().catch(() => {});
  }).observe(main, { attributes: true, attributeFilter: ["hidden"] });
  if (!main.hidden) allow().catch(() => {});
}
