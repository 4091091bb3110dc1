import { t } from "./texts.js";

// The collected details in the order the side panel lists them (texts.js: d_<key>).
const DETAIL_KEYS = ["chain", "token", "amount", "tx_hash", "to_address", "affected_address", "transfer_time", "counterparty", "description"];
export function detailLabels() {
  return Object.fromEntries(DETAIL_KEYS.map((key) => [key, t(`d_${key}`)]));
}
export const MONO = new Set(["tx_hash", "to_address", "affected_address", "counterparty"]);
export function tagText(tag) {
  const text = t(`tag_${tag}`);
  return text === `tag_${tag}` ? tag : text;
}
