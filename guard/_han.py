"""Chinese recovery phrases: 12 to 24 characters of a BIP39 list, spaced or not, alone or
glued to the sentence around them ("我的助记词是…帮我找回" with no gap on either side).

Nearly every common character is in the two lists, so a run of list characters says
little, and 1 in 16 random 12-character stretches passes the checksum. What tells a
phrase from a sentence is that a phrase's characters are drawn at random: they seldom
pair into words. So every stretch of every phrase length, at every offset, is tried with
the cheapest test first: all list characters, the checksum, and whether jieba's
dictionary makes the stretch likelier than characters drawn at random.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import accumulate
from typing import Any

from mnemonic import Mnemonic

from common.language import HAN, HAN_CHAR

PHRASE_LENGTHS = (12, 15, 18, 21, 24)
WINDOW, WINDOW_HITS = 12, 10  # a damaged phrase: 10 list words in 12
CHINESE_LISTS = ("chinese_simplified", "chinese_traditional")

# Han characters possibly separated by spaces or commas (a Chinese phrase).
_HAN_RUN = re.compile(f"[{HAN}](?:[\\s,，、]*[{HAN}])+")
_HAN_SPACED = re.compile(f"[{HAN}]\\s+[{HAN}]")

Span = tuple[int, int, int]  # start, end in the text; list characters inside
_UNIFORM = math.log(2048)  # a phrase's characters: each one of 2048, drawn at random
# A stretch is a phrase when jieba's dictionary explains it no better than random draws
# from the list (per character, natural log). Of 20,000 random 12-character phrases (both
# lists) one scored above 0; of the 2,069 checksum-valid windows of the knowledge base's
# and NLU data's Chinese run together without punctuation, 5 scored below it.
SENTENCE_SCORE = 0.0


@lru_cache(maxsize=1)
def _indexes() -> tuple[dict[str, int], ...]:
    return tuple({w: i for i, w in enumerate(Mnemonic(name).wordlist)} for name in CHINESE_LISTS)


@lru_cache(maxsize=1)
def _model() -> tuple[Any, dict[str, float], dict[int, str]]:
    """jieba's tokenizer; each list character's log-probability as a word of its own,
    against a uniform draw from the list; traditional list characters -> simplified
    (the two lists are parallel), since jieba's dictionary is simplified Chinese."""
    import jieba

    jieba.setLogLevel(60)
    jieba.dt.check_initialized()
    tokenizer = jieba.dt
    log_total = math.log(tokenizer.total)
    simplified, traditional = (Mnemonic(name).wordlist for name in CHINESE_LISTS)
    to_simplified = str.maketrans(dict(zip(traditional, simplified, strict=True)))
    single = {c: math.log(tokenizer.FREQ.get(c) or 1) - log_total + _UNIFORM for c in simplified}
    return tokenizer, single, to_simplified


def han_phrases(text: str) -> list[Span]:
    """Spans of *text* that are Chinese phrases, complete (checksum) or damaged (spaced)."""
    listed_anywhere = _indexes()
    found: list[Span] = []
    for match in _HAN_RUN.finditer(text):
        chars = [(i, c) for i, c in enumerate(match.group()) if HAN_CHAR.match(c)]
        if len(chars) < WINDOW:
            continue
        listed = [any(c in index for index in listed_anywhere) for _, c in chars]
        if _HAN_SPACED.search(match.group()) and _window_hit(listed):
            found.append((match.start(), match.end(), sum(listed)))
            continue
        for first, last in _merge(_phrase_stretches("".join(c for _, c in chars))):
            start = match.start() + chars[first][0]
            found.append((start, match.start() + chars[last - 1][0] + 1, last - first))
    return found


def _window_hit(listed: list[bool]) -> bool:
    return any(sum(listed[k : k + WINDOW]) >= WINDOW_HITS for k in range(len(listed) - WINDOW + 1))


def _phrase_stretches(chars: str) -> Iterator[tuple[int, int]]:
    """(first, last) of every stretch of *chars* that reads as a phrase in either list."""
    tokenizer, single, to_simplified = _model()
    plain = chars.translate(to_simplified)
    # Scored as single characters, a stretch can only score lower than with jieba's
    # words: a cheap bound that rules most sentences out before the checksum.
    bound = list(accumulate((single.get(c, 0.0) for c in plain), initial=0.0))
    for length in PHRASE_LENGTHS:
        limit = SENTENCE_SCORE * length
        starts = range(len(chars) - length + 1)
        candidates = {k for k in starts if bound[k + length] - bound[k] < limit}
        if not candidates:
            continue
        for index in _indexes():
            for first in _checksummed(chars, index, length, candidates):
                if _score(tokenizer, plain[first : first + length]) < limit:
                    yield first, first + length


def _checksummed(
    chars: str, index: dict[str, int], length: int, candidates: set[int]
) -> Iterator[int]:
    """Candidate starts where *length* characters of one list pass BIP39's checksum: the
    last length/3 bits are the first bits of SHA-256 of the rest. The phrase's value
    slides along, 11 bits a character, rather than being rebuilt for each start."""
    check = length // 3
    mask = (1 << (length * 11)) - 1
    size = (length * 11 - check) // 8
    value, run = 0, 0  # run: list characters in a row, up to here
    for k, c in enumerate(chars):
        position = index.get(c)
        run = 0 if position is None else run + 1
        value = ((value << 11) | (position or 0)) & mask
        first = k + 1 - length
        if run < length or first not in candidates:
            continue
        digest = hashlib.sha256((value >> check).to_bytes(size, "big")).digest()
        if digest[0] >> (8 - check) == value & ((1 << check) - 1):
            yield first


def _score(tokenizer: Any, text: str) -> float:
    """log P(text) by jieba's best segmentation, less that of a uniform random draw."""
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(text, tokenizer.get_DAG(text), route)
    return float(route[0][0]) + _UNIFORM * len(text)


def _merge(stretches: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping stretches as one: a phrase's own sub-stretches, or one that runs a
    character or two into the sentence, are all redacted together."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(stretches):
        if merged and first < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
