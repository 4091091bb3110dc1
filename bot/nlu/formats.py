"""Hashes, addresses and dates: exact formats, found by regular expression.

They are found before the spaCy patterns run and masked from them, which keeps
their hex digits from turning into amounts.
"""

from __future__ import annotations

import re

HASH_PATTERNS: dict[str, re.Pattern[str]] = {
    "evm_tx_hash": re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{64}(?![0-9a-zA-Z])"),
    "hex_tx_hash": re.compile(r"(?<![0-9a-zA-Z])[0-9a-fA-F]{64}(?![0-9a-zA-Z])"),
}
DATE_PATTERN = re.compile(
    r"(?<!\d)(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}[日号]?|\d{1,2}月\d{1,2}[日号])"
    r"(?:\s*\d{1,2}[:：]\d{2}(?::\d{2})?)?"
)
ADDRESS_PATTERNS: dict[str, re.Pattern[str]] = {
    "evm": re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])"),
    "tron": re.compile(r"(?<![0-9a-zA-Z])T[1-9A-HJ-NP-Za-km-z]{33}(?![0-9a-zA-Z])"),
    "bitcoin": re.compile(
        r"(?<![0-9a-zA-Z])(?:bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})"
        r"(?![0-9a-zA-Z])"
    ),
}


def find_formats(text: str) -> list[tuple[str, int, int]]:
    """``(entity, start, end)`` of each tx hash, address and date; the first match wins."""
    found: list[tuple[str, int, int]] = []
    groups = (
        ("tx_hash", HASH_PATTERNS),
        ("address", ADDRESS_PATTERNS),
        ("time", {"date": DATE_PATTERN}),
    )
    for kind, patterns in groups:
        for pattern in patterns.values():
            for match in pattern.finditer(text):
                start, end = match.span()
                if any(s < end and start < e for _, s, e in found):
                    continue
                found.append((kind, start, end))
    return found
