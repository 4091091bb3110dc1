"""Names users give chains and tokens, mapped to canonical ids (zh/en/es)."""

from __future__ import annotations

CHAINS: dict[str, tuple[str, ...]] = {
    "ethereum": ("ethereum", "eth chain", "eth network", "erc20", "erc-20", "erc 20",
                 "以太坊", "以太链", "以太坊链", "红宝石"),
    "tron": ("tron", "trc20", "trc-20", "trc 20", "tron network", "trx chain", "波场",
             "波场链", "trc"),
    "bsc": ("bsc", "bnb chain", "bnb smart chain", "binance smart chain", "bep20", "bep-20",
            "bep 20", "币安链", "币安智能链", "bsc链"),
    "polygon": ("polygon", "matic network", "polygon pos", "马蹄链", "polygon链"),
    "bitcoin": ("bitcoin", "btc network", "btc chain", "比特币链", "比特币网络"),
    "arbitrum": ("arbitrum", "arb", "arbitrum one"),
    "optimism": ("optimism", "op mainnet"),
    "base": ("base chain", "base network"),
    "solana": ("solana", "sol chain", "索拉纳"),
}  # fmt: skip

TOKENS: dict[str, tuple[str, ...]] = {
    "USDT": ("usdt", "tether", "泰达币", "泰达", "u"),
    "USDC": ("usdc",),
    "ETH": ("eth", "ether", "以太币"),
    "BTC": ("btc", "比特币"),
    "TRX": ("trx", "波场币"),
    "BNB": ("bnb",),
    "MATIC": ("matic", "pol"),
    "DAI": ("dai",),
    "SOL": ("sol",),
}  # fmt: skip

# Fiat words that may follow an amount ("50 dólares en usdt"): kept as the unit.
FIAT: dict[str, tuple[str, ...]] = {
    "USD": ("usd", "dollar", "dollars", "dólar", "dólares", "dolar", "dolares", "美元", "刀",
            "美金", "$"),
    "CNY": ("cny", "rmb", "元", "块", "人民币", "yuan"),
}  # fmt: skip

# Chains whose native coin shares the symbol: "0.5 ETH" says the token, not the chain.
NATIVE_TOKEN = {"ethereum": "ETH", "tron": "TRX", "bsc": "BNB", "polygon": "MATIC",
                "bitcoin": "BTC", "solana": "SOL"}  # fmt: skip


# How a chain is shown to people.
CHAIN_NAMES = {"ethereum": "Ethereum (ERC20)", "tron": "TRON (TRC20)", "bsc": "BNB Chain (BEP20)",
               "polygon": "Polygon", "bitcoin": "Bitcoin", "arbitrum": "Arbitrum",
               "optimism": "Optimism", "base": "Base", "solana": "Solana"}  # fmt: skip


def _reverse(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: canonical for canonical, aliases in table.items() for alias in aliases}


CHAIN_ALIASES = _reverse(CHAINS)
TOKEN_ALIASES = _reverse(TOKENS)
UNIT_ALIASES = {**TOKEN_ALIASES, **_reverse(FIAT)}
