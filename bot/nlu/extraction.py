"""Entity extraction shared by the NLU component and the form validators.

Chains, tokens, amounts and times come from blank spaCy pipelines (no model
download; Chinese is segmented by jieba) with an ``EntityRuler``. Hashes and
addresses have exact formats, so a regular expression finds them first and
masks them, which keeps their hex digits from turning into amounts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jieba

from bot.nlu.vocabulary import CHAIN_ALIASES, TOKEN_ALIASES, UNIT_ALIASES
from common.language import HAN_CHAR, detect_language

jieba.setLogLevel(logging.WARNING)

_NUMBER = r"^(?:\d+(?:[.,]\d+)*|[零〇一二两三四五六七八九十百千万亿点]+|\d+(?:\.\d+)?[kK万])$"
# Tokens too ambiguous alone ("can u help", "el sol") that still count after a number.
_UNIT_ONLY = frozenset({"u", "sol", "pol", "$", "刀", "元", "块", "dai", "arb", "base"})

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

# One-token time words; multi-word phrases are listed in _patterns(). Bare
# "now"/"ahora"/"esta" are left out: too common to mean a transfer time.
_TIME_PHRASES = (
    "today yesterday tonight noon midnight hoy ayer anoche anteayer mediodía mediodia "
    "medianoche 今天 昨天 前天 昨晚 今早 今晚 刚才 刚刚 上午 下午 中午 晚上 凌晨 早上 傍晚 "
    "昨天上午 昨天下午 昨天晚上 今天上午 今天下午 今天早上 前天晚上 今天中午 昨天中午"
)
_TIME_UNITS_EN = [
    "minute",
    "minutes",
    "min",
    "mins",
    "hour",
    "hours",
    "hr",
    "hrs",
    "h",
    "day",
    "days",
    "week",
    "weeks",
]
_TIME_UNITS_ES = [
    "minuto",
    "minutos",
    "hora",
    "horas",
    "día",
    "días",
    "dia",
    "dias",
    "semana",
    "semanas",
]
_ZH_CLOCK = r"^[\d一二两三四五六七八九十]+[点點时]" r"([\d一二三四五六七八九十]+分?|半|钟)?$"
_SPELLED_NUMBERS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
_SPELLED_NUMBERS_ES = [
    "un",
    "una",
    "dos",
    "tres",
    "cuatro",
    "cinco",
    "seis",
    "siete",
    "ocho",
    "nueve",
    "diez",
    "unos",
    "unas",
]
_ZH_AGO = ["小时前", "分钟前", "天前", "周前", "个小时前", "钟头前"]
_CLOCK_WORDS = ["am", "pm", "a.m.", "p.m.", "点", "點", "时", "点钟", "点半", "h"]

for _word in (*_ZH_AGO, *[a for a in (*CHAIN_ALIASES, *TOKEN_ALIASES) if HAN_CHAR.search(a)]):
    jieba.add_word(_word)
# jieba's dictionary glues "前" to a following verb ("三天前转的" -> 三天/前转/的).
for _word in ("前转", "前发", "前充", "前提"):
    jieba.del_word(_word)
for _word in _TIME_PHRASES.split():
    if HAN_CHAR.search(_word):
        jieba.add_word(_word)


@dataclass(frozen=True)
class Found:
    """One entity: its canonical ``value`` and where it stands in the original text."""

    entity: str
    value: str
    start: int
    end: int
    text: str

    def as_rasa(self, extractor: str) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence_entity": 1.0,
            "extractor": extractor,
        }


def _patterns() -> list[dict[str, Any]]:
    number = {"TEXT": {"REGEX": _NUMBER}}
    units = sorted(UNIT_ALIASES)
    patterns: list[dict[str, Any]] = []
    for alias, chain in CHAIN_ALIASES.items():
        patterns.append({"label": "chain", "pattern": alias, "id": chain})
    for alias, token in TOKEN_ALIASES.items():
        if alias not in _UNIT_ONLY:
            patterns.append({"label": "token", "pattern": alias, "id": token})
    patterns += [
        {"label": "amount", "pattern": [number, {"LOWER": {"IN": units}}]},
        {"label": "amount", "pattern": [{"TEXT": "$"}, number]},
        {
            "label": "amount",
            "pattern": [number, {"LOWER": {"IN": ["个", "枚"]}}, {"LOWER": {"IN": units}}],
        },
    ]
    for phrase in _TIME_PHRASES.split():
        patterns.append({"label": "time", "pattern": phrase})
    for phrase in (
        "this morning",
        "this afternoon",
        "this evening",
        "last night",
        "just now",
        "earlier today",
        "day before yesterday",
        "a while ago",
        "at noon",
        "last week",
        "hace un rato",
        "hace rato",
        "al mediodía",
        "al mediodia",
        "la semana pasada",
        "esta mañana",
        "esta manana",
        "esta tarde",
        "esta noche",
        "antes de ayer",
    ):
        patterns.append({"label": "time", "pattern": phrase})
    spelled = {"LOWER": {"IN": [*_SPELLED_NUMBERS, "a", "an", "few", "couple"]}}
    patterns += [
        {"label": "time", "pattern": [number, {"LOWER": {"IN": _TIME_UNITS_EN}}, {"LOWER": "ago"}]},
        {
            "label": "time",
            "pattern": [
                spelled,
                {"LOWER": "of", "OP": "?"},
                {"LOWER": {"IN": _TIME_UNITS_EN}},
                {"LOWER": "ago"},
            ],
        },
        {
            "label": "time",
            "pattern": [
                {"LOWER": "hace"},
                {"LOWER": {"IN": _SPELLED_NUMBERS_ES}},
                {"LOWER": {"IN": _TIME_UNITS_ES}},
            ],
        },
        {
            "label": "time",
            "pattern": [
                {
                    "TEXT": {
                        "REGEX": r"^[一二两三四五六七八九十几\d]+个?(天|周|星期|小时|钟头|分钟)$"
                    }
                },
                {"TEXT": "前"},
            ],
        },
        {
            "label": "time",
            "pattern": [{"LOWER": "hace"}, number, {"LOWER": {"IN": _TIME_UNITS_ES}}],
        },
        {
            "label": "time",
            "pattern": [{"LOWER": {"IN": ["un", "una"]}}, {"LOWER": {"IN": _TIME_UNITS_ES}}],
        },
        {
            "label": "time",
            "pattern": [
                {"TEXT": {"REGEX": r"^[一二两三四五六七八九十半\d]+个?$"}},
                {"TEXT": {"IN": _ZH_AGO}},
            ],
        },
        {
            "label": "time",
            "pattern": [{"TEXT": {"REGEX": _ZH_CLOCK}}],
        },
        {
            "label": "time",
            "pattern": [
                {"LOWER": {"IN": ["at", "around"]}},
                number,
                {"LOWER": {"IN": _CLOCK_WORDS}},
            ],
        },
        {"label": "time", "pattern": [{"TEXT": {"REGEX": r"^\d{1,2}[:：]\d{2}$"}}]},
        {
            "label": "time",
            "pattern": [
                {"TEXT": {"REGEX": r"^\d{1,2}[:：]\d{2}$"}},
                {"LOWER": {"IN": _CLOCK_WORDS}},
            ],
        },
        {"label": "time", "pattern": [number, {"LOWER": {"IN": _CLOCK_WORDS}}]},
        {
            "label": "time",
            "pattern": [
                {"LOWER": {"IN": ["at", "around", "a", "sobre"]}},
                {"LOWER": {"IN": ["las", "la"]}, "OP": "?"},
                {"TEXT": {"REGEX": r"^\d{1,2}([:：]\d{2})?$"}},
            ],
        },
        {"label": "time", "pattern": [{"TEXT": {"REGEX": r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$"}}]},
        {"label": "time", "pattern": [{"TEXT": {"REGEX": r"^\d{1,2}/\d{1,2}(/\d{2,4})?$"}}]},
        {"label": "time", "pattern": [{"TEXT": {"REGEX": r"^(\d{4}年)?\d{1,2}月\d{1,2}[日号]?$"}}]},
    ]
    return patterns


@lru_cache(maxsize=3)
def _pipeline(language: str) -> Any:
    import spacy

    if language == "zh":
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    else:
        nlp = spacy.blank(language)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_patterns())  # type: ignore[attr-defined]
    return nlp


def _spaced(text: str) -> tuple[str, list[int]]:
    """Split "100u", "一百USDT" and "TRC20地址" apart, keeping a map to the original offsets."""
    out: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        if i and not char.isspace() and not text[i - 1].isspace():
            prev = text[i - 1]
            digit_to_letter = (
                (prev.isdigit() or HAN_CHAR.match(prev)) and char.isascii() and char.isalpha()
            )
            script_change = bool(HAN_CHAR.match(prev)) != bool(HAN_CHAR.match(char))
            if (digit_to_letter or script_change) and not (
                prev.isdigit() and HAN_CHAR.match(char) and char in "万点"
            ):
                out.append(" ")
                where.append(i)
        out.append(char)
        where.append(i)
    where.append(len(text))
    return "".join(out), where


def _find_formats(text: str) -> list[Found]:
    found: list[Found] = []
    taken: list[tuple[int, int]] = []
    groups = (
        ("tx_hash", HASH_PATTERNS),
        ("address", ADDRESS_PATTERNS),
        ("time", {"date": DATE_PATTERN}),
    )
    for kind, patterns in groups:
        for pattern in patterns.values():
            for match in pattern.finditer(text):
                span = match.span()
                if any(s < span[1] and span[0] < e for s, e in taken):
                    continue
                taken.append(span)
                found.append(Found(kind, match.group(), *span, match.group()))
    return found


def _language_for(text: str) -> str:
    if HAN_CHAR.search(text):
        return "zh"
    return "es" if detect_language(text) == "es" else "en"


def _value(label: str, span_text: str, ent_id: str) -> str:
    if label in ("chain", "token"):
        return ent_id or span_text
    if label == "amount":
        return normalise_amount(span_text) or span_text
    return span_text


def extract(text: str) -> list[Found]:
    """Every chain, token, amount, time, tx hash and address in *text*, in order."""
    if not text or not text.strip():
        return []
    formats = _find_formats(text)
    masked = list(text)
    for f in formats:
        masked[f.start : f.end] = " " * (f.end - f.start)
    spaced, where = _spaced("".join(masked))
    doc = _pipeline(_language_for(text))(spaced)
    found = list(formats)
    pending: Found | None = None
    for ent in doc.ents:
        start, end = where[ent.start_char], where[ent.end_char - 1] + 1
        item = Found(ent.label_, "", start, end, text[start:end])
        item = Found(ent.label_, _value(ent.label_, item.text, ent.ent_id_), start, end, item.text)
        # "昨天 下午 三点" arrives as three time spans; a user means one time.
        if pending and item.entity == "time" == pending.entity and _joinable(text, pending, item):
            joined = text[pending.start : item.end]
            pending = Found("time", joined, pending.start, item.end, joined)
            continue
        if pending:
            found.append(pending)
        pending = item
    if pending:
        found.append(pending)
    return sorted(found, key=lambda f: f.start)


def _joinable(text: str, left: Found, right: Found) -> bool:
    gap = text[left.end : right.start].strip().lower()
    return gap in {
        "",
        "at",
        "around",
        "about",
        "a las",
        "a la",
        "sobre las",
        "de la",
        "大概",
        "左右",
        "的",
    }


_UNIT_PATTERN = re.compile(
    r"^\s*(?P<unit_before>\$)?\s*"
    r"(?P<number>\d[\d.,]*\s*(?:万|k|K)?|[零〇一二两三四五六七八九十百千万亿点]+)"
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
    if re.fullmatch(r"[零〇一二两三四五六七八九十百千万亿点]+", text):
        import cn2an

        try:
            return float(cn2an.cn2an(text, "smart")) * multiplier
        except (ValueError, KeyError):
            return None
    return None


def normalise_amount(raw: str) -> str | None:
    """ "100u" -> "100 USDT", "0.5 eth" -> "0.5 ETH", "一百" -> "100"; None if not an amount."""
    spaced, _ = _spaced(raw.strip())
    match = _UNIT_PATTERN.match(spaced)
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


def tokens(text: str) -> list[tuple[str, int]]:
    """Word tokens with their offsets in *text*, from the same spaCy pipelines."""
    if not text.strip():
        return []
    spaced, where = _spaced(text)
    doc = _pipeline(_language_for(text)).make_doc(spaced)
    return [(t.text, where[t.idx]) for t in doc if not t.is_space]
