// Queue filters (language, channel, priority, mine): kept per tab, sent as the
// /api/agent/sessions query (docs/desk-api.md), so the server does the filtering.
import { $, el } from "./dom.js";
import { lang } from "./i18n.js";

const TEXT = {
  en: {
    language: "Language", channel: "Channel", priority: "Priority", mine: "Mine only", any: "All",
    urgent: "urgent", high: "high", normal: "normal", label: "Filter the list",
  },
  zh: {
    language: "语言", channel: "渠道", priority: "优先级", mine: "只看我的", any: "全部",
    urgent: "紧急", high: "高", normal: "普通", label: "筛选列表",
  },
};

const CHOICES = {
  language: ["zh", "en", "es"],
  channel: ["webchat", "telegram", "wechat", "email"],
  priority: ["urgent", "high", "normal"],
};

const chosen = { language: "", channel: "", priority: "", mine: false };

export function filterQuery() {
  const query = new URLSearchParams();
  for (const key of ["language", "channel", "priority"]) if (chosen[key]) query.set(key, chosen[key]);
  if (chosen.mine) query.set("mine", "true");
  const text = query.toString();
  return text ? `&${text}` : "";
}

export function setupFilters(onChange) {
  const t = TEXT[lang()];
  const bar = $("filters");
  bar.setAttribute("aria-label", t.label);
  bar.replaceChildren();
  for (const [key, values] of Object.entries(CHOICES)) {
    const select = el("select");
    select.id = `filter-${key}`;
    select.setAttribute("aria-label", t[key]);
    const all = el("option", "", `${t[key]}: ${t.any}`);
    all.value = "";
    select.append(all);
    for (const value of values) {
      const option = el("option", "", key === "priority" ? t[value] : key === "language" ? value.toUpperCase() : value);
      option.value = value;
      select.append(option);
    }
    select.addEventListener("change", () => { chosen[key] = select.value; onChange(); });
    bar.append(select);
  }
  const box = el("input");
  box.type = "checkbox";
  box.id = "filter-mine";
  box.addEventListener("change", () => { chosen.mine = box.checked; onChange(); });
  const label = el("label", "filter-mine");
  label.append(box, document.createTextNode(` ${t.mine}`));
  bar.append(label);
}
