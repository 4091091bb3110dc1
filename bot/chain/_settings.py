"""Chain lookup settings (env prefix ``CHAIN_``). No endpoint is built in: an operator
names the nodes it trusts (its own, or a provider's)."""

from __future__ import annotations

from pydantic import BaseSettings, PositiveFloat, PositiveInt, SecretStr


class ChainSettings(BaseSettings):
    # {"ethereum": "https://…", "bsc": "https://…", "polygon": "https://…"}
    evm_endpoints: dict[str, str] = {}
    tron_endpoint: str = ""  # a TRON full node's HTTP API
    call_timeout_seconds: PositiveFloat = 1.5
    # The whole lookup, all chains at once; inside WeChat's 5-second reply window.
    budget_seconds: PositiveFloat = 3.0
    cache_seconds: PositiveFloat = 60.0
    # A node's answer is read up to this many bytes (after decompression), then refused:
    # a transaction, its receipt and a block header are a few kilobytes.
    max_response_bytes: PositiveInt = 2_000_000
    # Extra request headers per chain, for providers that take an API key in a header
    # (TronGrid: {"tron": {"TRON-PRO-API-KEY": "…"}}). Secret: never in reprs, and the
    # log mask (common/logs.py) knows every value of CHAIN_API_KEY_HEADERS.
    api_key_headers: dict[str, dict[str, SecretStr]] = {}
    native: dict[str, str] = {"ethereum": "ETH", "bsc": "BNB", "polygon": "MATIC", "tron": "TRX"}
    # Token contracts → symbol and decimals (lower-case hex for EVM, base58 for TRON).
    tokens: dict[str, dict[str, tuple[str, int]]] = {
        "ethereum": {
            "0xdac17f958d2ee523a2206206994597c13d831ec7": ("USDT", 6),
            "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48": ("USDC", 6),
        },
        "bsc": {"0x55d398326f99059ff775485246999027b3197955": ("USDT", 18)},
        "polygon": {"0xc2132d05d31c914a87c6611c10748aeb04b58e8f": ("USDT", 6)},
        "tron": {"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t": ("USDT", 6)},
    }

    # The stolen-funds check (bot/chain/_forensic.py): the whole of it, every chain at
    # once, under WeChat's 5 s with room for Rasa; each call still has its own timeout.
    forensic_budget_seconds: PositiveFloat = 3.5
    # How far back it reads logs: at most this many blocks per EVM chain (providers
    # cap eth_getLogs ranges), and this many days on TRON's indexer.
    forensic_max_blocks: dict[str, PositiveInt] = {}
    forensic_default_blocks: PositiveInt = 50_000
    forensic_days: PositiveInt = 30
    block_seconds: dict[str, PositiveFloat] = {"ethereum": 12, "bsc": 3, "polygon": 2}
    # A TronGrid-style indexer (/v1/accounts/{address}/transactions…): TRON's full node
    # can't list an address's transfers. Optional; without it TRON checks permissions only.
    tron_indexer_endpoint: str = ""
    # Spenders the wallet's users approve routinely (routers, Permit2), per chain,
    # lower-case hex or base58: an approval to anyone else is marked.
    spender_allowlist: dict[str, list[str]] = {}
    # An incoming transfer this small (in token units) from a look-alike is "dust".
    dust_amount: PositiveFloat = 1.0
    # The wallet's own authorisation-management page, where a user revokes a token
    # approval (the flow links it: support never asks anyone to sign anything).
    approvals_url: str = "https://acmewallet.example/help/approvals"

    def headers_for(self, chain: str) -> dict[str, str]:
        headers = self.api_key_headers.get(chain, {})
        return {name: value.get_secret_value() for name, value in headers.items()}

    class Config:
        env_prefix = "CHAIN_"
        env_file = ".env"
        extra = "ignore"
