"""Form-answer validation: formats per chain, amounts, "I don't know".

Pure functions over text, reusing :mod:`bot.nlu.extraction`, so the Rasa form
validators stay thin and everything here is unit-testable without Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import base58
from eth_utils import is_checksum_address, is_hex_address

from bot.nlu.amounts import normalise_amount
from bot.nlu.extraction import extract
from bot.nlu.formats import ADDRESS_PATTERNS, HASH_PATTERNS, find_formats
from bot.nlu.vocabulary import CHAIN_ALIASES, NATIVE_TOKEN, TOKEN_ALIASES

UNKNOWN = "unknown"
EVM_CHAINS = frozenset({"ethereum", "bsc", "polygon", "arbitrum", "optimism", "base"})

_DONT_KNOW = re.compile(
    r"^\W*(?:i\s*)?(?:don'?t|dont|do not)\s+(?:know|remember|have it)|^\W*(?:not sure|no idea|"
    r"dunno|idk|unknown|no lo s[eé]|no s[eé]|ni idea|no recuerdo|no me acuerdo|no estoy segur[oa]|"
    r"desconocido|不知道|不清楚|不记得|忘了|记不清|不确定|没有|无)\W*",
    re.IGNORECASE,
)
_SOLANA = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")
_BITCOIN_ADDRESS = ADDRESS_PATTERNS["bitcoin"]


def is_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.match(text.strip()))


def chain_family(chain: str | None) -> str | None:
    if chain in EVM_CHAINS:
        return "evm"
    return chain if chain in ("tron", "bitcoin", "solana") else None


def find_chain(text: str) -> str | None:
    for found in extract(text):
        if found.entity == "chain":
            return found.value
    return CHAIN_ALIASES.get(text.strip().lower())


def find_token(text: str) -> str | None:
    for found in extract(text):
        if found.entity == "token":
            return found.value
        if found.entity == "amount" and " " in found.value:
            unit = found.value.split(" ", 1)[1]
            if unit in TOKEN_ALIASES.values():
                return unit
    word = text.strip().lower()
    if word in TOKEN_ALIASES:
        return TOKEN_ALIASES[word]
    # A token we don't list ("PEPE") is still a fine answer: short and symbol-like.
    symbol = text.strip().upper()
    return symbol if re.fullmatch(r"[A-Z][A-Z0-9.]{1,9}", symbol) else None


def find_amount(text: str) -> str | None:
    """ "100u" -> "100 USDT"; a bare "100" is fine too, as an answer to "how much?"."""
    for found in extract(text):
        if found.entity == "amount":
            return found.value
    return normalise_amount(text)


@dataclass(frozen=True)
class FormatCheck:
    value: str | None  # the valid value found, or None
    expected: str  # a human description of the format, for the re-ask


_HASH_FORMATS = {
    "evm": ("0x + 64 hex (0-9, a-f)", (HASH_PATTERNS["evm_tx_hash"],)),
    "tron": ("64 hex (0-9, a-f), no 0x", (HASH_PATTERNS["hex_tx_hash"],)),
    "bitcoin": ("64 hex (0-9, a-f)", (HASH_PATTERNS["hex_tx_hash"],)),
    None: (
        "0x + 64 hex (Ethereum, BNB Chain, Polygon…) / 64 hex (TRON, BTC)",
        (HASH_PATTERNS["evm_tx_hash"], HASH_PATTERNS["hex_tx_hash"]),
    ),
}


def check_tx_hash(text: str, chain: str | None) -> FormatCheck:
    """Find a tx hash of the right shape for *chain* (also inside an explorer link)."""
    family = chain_family(chain)
    expected, patterns = _HASH_FORMATS.get(family, _HASH_FORMATS[None])
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return FormatCheck(match.group(), expected)
    return FormatCheck(None, expected)


def _valid_tron(address: str) -> bool:
    try:
        raw = base58.b58decode_check(address)
    except ValueError:
        return False
    return len(raw) == 21 and raw[0] == 0x41


def _valid_evm(address: str) -> bool:
    if not is_hex_address(address):
        return False
    body = address[2:]
    # Mixed case means the user's wallet wrote an EIP-55 checksum: a typo breaks it.
    return body.islower() or body.isupper() or is_checksum_address(address)


_ADDRESS_FORMATS = {
    "evm": "0x + 40 hex (0-9, a-f)",
    "tron": "T + 33 (base58)",
    "bitcoin": "1… / 3… / bc1…",
    "solana": "32–44 (base58)",
    None: "0x + 40 hex (Ethereum, BNB Chain, Polygon…) / T + 33 (TRON)",
}


def check_address(text: str, chain: str | None) -> FormatCheck:
    family = chain_family(chain)
    expected = _ADDRESS_FORMATS.get(family, _ADDRESS_FORMATS[None])
    candidates = [f.value for f in extract(text) if f.entity == "address"]
    if family == "solana":
        candidates += [w for w in text.split() if _SOLANA.match(w)]
    for address in candidates:
        kind = (
            "evm" if address.startswith("0x")
            else "tron" if address.startswith("T") and len(address) == 34
            else "bitcoin" if _BITCOIN_ADDRESS.fullmatch(address)
            else "solana"
        )  # fmt: skip
        if family and kind != family:
            continue
        valid = {"evm": _valid_evm, "tron": _valid_tron}.get(kind, lambda _: True)(address)
        if valid:
            return FormatCheck(address, expected)
    return FormatCheck(None, expected)


def find_addresses(text: str) -> list[str]:
    """Every valid EVM and TRON address in *text*, in order, each once (a typo'd one,
    failing its checksum, is not an address the user gave)."""
    found: list[str] = []
    for kind, start, end in sorted(find_formats(text), key=lambda f: f[1]):
        address = text[start:end]
        valid = _valid_evm if address.startswith("0x") else _valid_tron
        if kind == "address" and address not in found and valid(address):
            found.append(address)
    return found


def address_family(address: str | None) -> str | None:
    if not address or address == UNKNOWN:
        return None
    if address.startswith("0x"):
        return "evm"
    if address.startswith("T") and len(address) == 34:
        return "tron"
    return "bitcoin" if _BITCOIN_ADDRESS.fullmatch(address) else None


def native_token(chain: str | None) -> str | None:
    return NATIVE_TOKEN.get(chain or "")
