"""Amounts as users type them: "100u", "一百 USDT", "0,5 eth", "1.5万", "$50"."""

from __future__ import annotations

import re

from bot.nlu._lexicon import ZH_NUMERALS
from bot.nlu.pipelines import spaced
from bot.nlu.vocabulary import UNIT_ALIASES

_UNIT_PATTERN = re.compile(
    r"^\s*(?P<unit_before>\$)?\s*"
    rf"(?P<number>\d[\d.,]*\s*(?:万|k|K)?|[{ZH_NUMERALS}]+)"
    r"\s*(?:个|枚)?\s*(?P<unit>[^\d\s.,]*)\s*$"
)


def parse_number(raw: str) -> float | None:
    """ "1,000.5", "0,5", "一百", "两千五", "1.5万", "2k" as a number."""
    text = raw.strip().lower().replace(" ", "")
    if not text:
        return None
    multiplier = 1.0
    if text.endswith("k"):
        multiplier, text = 1000.0, text[:-1]
    if re.fullmatch(r"\d+(?:\.\d+)?万", text):
        return float(text[:-1]) * 10000 * multiplier
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        text = text.replace(",", "")
    elif re.fullmatch(r"\d+,\d+", text):
        text = text.replace(",", ".")  # "0,5" is how Spanish writes 0.5
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) * multiplier
    if re.fullmatch(f"[{ZH_NUMERALS}]+", text):
        import cn2an

        try:
            return float(cn2an.cn2an(text, "smart")) * multiplier
        except (ValueError, KeyError):
            return None
    return None


def normalise_amount(raw: str) -> str | None:
    """ "100u" -> "100 USDT", "0.5 eth" -> "0.5 ETH", "一百" -> "100"; None if not an amount."""
    split, _ = spaced(raw.strip())
    match = _UNIT_PATTERN.match(split)
    if not match:
        return None
    number = parse_number(match.group("number"))
    if number is None or number < 0:
        return None
    unit_word = (match.group("unit") or match.group("unit_before") or "").lower()
    unit = UNIT_ALIASES.get(unit_word) if unit_word else None
    if unit_word and unit is None:
        return None
    amount = f"{number:.8f}".rstrip("0").rstrip(".")
    return f"{amount} {unit}" if unit else amount
