"""The blank spaCy pipelines (no model download) that tokenise and find entities.

One pipeline per language, picked per message. Chinese is segmented by jieba,
whose dictionary is process-wide: the wallet words are added to it once, when
the Chinese pipeline is first built (or earlier, by :func:`customise_jieba`).
"""

from __future__ import annotations

import logging
from functools import cache, lru_cache
from typing import Any

import jieba

from bot.nlu._lexicon import (
    CLOCK_WORDS,
    JIEBA_FALSE_WORDS,
    NUMBER,
    SPELLED_NUMBERS,
    SPELLED_NUMBERS_ES,
    TIME_PHRASES,
    TIME_UNITS_EN,
    TIME_UNITS_ES,
    TIME_WORDS,
    UNIT_ONLY,
    ZH_AGO,
    ZH_CLOCK,
)
from bot.nlu.vocabulary import CHAIN_ALIASES, TOKEN_ALIASES, UNIT_ALIASES
from common.language import HAN_CHAR, detect_language


@cache
def customise_jieba() -> None:
    """Add the Chinese chain, token and time words to jieba's dictionary.

    Runs once per process: ``add_word`` suggests a frequency from the dictionary
    as it stands, so a second run would not leave the same dictionary.
    """
    jieba.setLogLevel(logging.WARNING)
    for word in (*ZH_AGO, *[a for a in (*CHAIN_ALIASES, *TOKEN_ALIASES) if HAN_CHAR.search(a)]):
        jieba.add_word(word)
    # jieba's dictionary glues "前" to a following verb ("三天前转的" -> 三天/前转/的).
    for word in JIEBA_FALSE_WORDS:
        jieba.del_word(word)
    for word in TIME_WORDS:
        if HAN_CHAR.search(word):
            jieba.add_word(word)


def _patterns() -> list[dict[str, Any]]:
    number = {"TEXT": {"REGEX": NUMBER}}
    units = sorted(UNIT_ALIASES)
    patterns: list[dict[str, Any]] = []
    for alias, chain in CHAIN_ALIASES.items():
        patterns.append({"label": "chain", "pattern": alias, "id": chain})
    for alias, token in TOKEN_ALIASES.items():
        if alias not in UNIT_ONLY:
            patterns.append({"label": "token", "pattern": alias, "id": token})
    patterns += [
        {"label": "amount", "pattern": [number, {"LOWER": {"IN": units}}]},
        {"label": "amount", "pattern": [{"TEXT": "$"}, number]},
        {
            "label": "amount",
            "pattern": [number, {"LOWER": {"IN": ["个", "枚"]}}, {"LOWER": {"IN": units}}],
        },
    ]
    for phrase in (*TIME_WORDS, *TIME_PHRASES):
        patterns.append({"label": "time", "pattern": phrase})
    spelled = {"LOWER": {"IN": [*SPELLED_NUMBERS, "a", "an", "few", "couple"]}}
    patterns += [
        {"label": "time", "pattern": [number, {"LOWER": {"IN": TIME_UNITS_EN}}, {"LOWER": "ago"}]},
        {
            "label": "time",
            "pattern": [
                spelled,
                {"LOWER": "of", "OP": "?"},
                {"LOWER": {"IN": TIME_UNITS_EN}},
                {"LOWER": "ago"},
            ],
        },
        {
            "label": "time",
            "pattern": [
                {"LOWER": "hace"},
                {"LOWER": {"IN": SPELLED_NUMBERS_ES}},
                {"LOWER": {"IN": TIME_UNITS_ES}},
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
            "pattern": [{"LOWER": "hace"}, number, {"LOWER": {"IN": TIME_UNITS_ES}}],
        },
        {
            "label": "time",
            "pattern": [{"LOWER": {"IN": ["un", "una"]}}, {"LOWER": {"IN": TIME_UNITS_ES}}],
        },
        {
            "label": "time",
            "pattern": [
                {"TEXT": {"REGEX": r"^[一二两三四五六七八九十半\d]+个?$"}},
                {"TEXT": {"IN": ZH_AGO}},
            ],
        },
        {
            "label": "time",
            "pattern": [{"TEXT": {"REGEX": ZH_CLOCK}}],
        },
        {
            "label": "time",
            "pattern": [
                {"LOWER": {"IN": ["at", "around"]}},
                number,
                {"LOWER": {"IN": CLOCK_WORDS}},
            ],
        },
        {"label": "time", "pattern": [{"TEXT": {"REGEX": r"^\d{1,2}[:：]\d{2}$"}}]},
        {
            "label": "time",
            "pattern": [
                {"TEXT": {"REGEX": r"^\d{1,2}[:：]\d{2}$"}},
                {"LOWER": {"IN": CLOCK_WORDS}},
            ],
        },
        {"label": "time", "pattern": [number, {"LOWER": {"IN": CLOCK_WORDS}}]},
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
def pipeline(language: str) -> Any:
    import spacy

    if language == "zh":
        customise_jieba()
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    else:
        nlp = spacy.blank(language)
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_patterns())  # type: ignore[attr-defined]
    return nlp


def language_for(text: str) -> str:
    if HAN_CHAR.search(text):
        return "zh"
    return "es" if detect_language(text) == "es" else "en"


def spaced(text: str) -> tuple[str, list[int]]:
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


def tokens(text: str) -> list[tuple[str, int]]:
    """Word tokens with their offsets in *text*, from the same spaCy pipelines."""
    if not text.strip():
        return []
    split, where = spaced(text)
    doc = pipeline(language_for(text)).make_doc(split)
    return [(t.text, where[t.idx]) for t in doc if not t.is_space]
