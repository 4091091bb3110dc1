export const DETAIL_LABELS = {
  chain: "Network", token: "Token", amount: "Amount", tx_hash: "Tx hash",
  to_address: "To address", transfer_time: "Time", counterparty: "Counterparty",
  description: "Description",
};
export const MONO = new Set(["tx_hash", "to_address", "counterparty"]);
export const TAGS = {
  secret_shared: "shared a secret: make sure they moved their funds",
  scam_report: "reports a scam / fake support",
};
