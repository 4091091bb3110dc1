// The session list from the keyboard: one item in the Tab order (the selected one, else
// the first), arrow keys / Home / End move between items, Enter or Space opens one.
import { $ } from "./dom.js";

const ITEMS = ".queue-item";

function items() {
  return [...$("queue").querySelectorAll(ITEMS)];
}

function focusItem(item) {
  for (const other of items()) other.tabIndex = other === item ? 0 : -1;
  item.focus();
}

// After a re-render: one tabbable item, and the focus back on the item that had it.
export function makeFocusable(focusedId) {
  const all = items();
  if (!all.length) return;
  const current = all.find((i) => i.classList.contains("selected")) || all[0];
  for (const item of all) {
    item.tabIndex = item === current ? 0 : -1;
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", String(item.classList.contains("selected")));
  }
  const again = focusedId && all.find((i) => i.dataset.sessionId === focusedId);
  if (again) focusItem(again);
}

export function focusedItemId() {
  const active = document.activeElement;
  return active?.matches?.(ITEMS) ? active.dataset.sessionId : null;
}

export function wireQueueKeys(open) {
  $("queue").addEventListener("keydown", (event) => {
    const item = event.target.closest?.(ITEMS);
    if (!item) return;
    const all = items();
    const at = all.indexOf(item);
    const next = {
      ArrowDown: all[at + 1], ArrowUp: all[at - 1], Home: all[0], End: all[all.length - 1],
    }[event.key];
    if (next) {
      event.preventDefault();
      focusItem(next);
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      open(Number(item.dataset.sessionId));
    }
  });
}
