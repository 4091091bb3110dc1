"""Whether a short message made of list words is a piece of a phrase or an ordinary one.

A phrase sent two or three words at a time is, message by message, two or three list
words on their own: "oyster velvet". Some ordinary messages are too: "thank you",
"human agent", "never mind", "this morning". A piece is held back from the bot (Rasa's
tracker would keep it, in clear, for good); an ordinary message must reach it.

What tells them apart is whether the words go together. Every two neighbouring words of
an ordinary one were seen side by side in what users say to this bot: its NLU examples,
the knowledge base's questions and titles, its button titles (``ordinary_pairs.txt``,
written by ``scripts/ordinary_pairs.py`` from those files). A phrase's words are drawn
at random from 2048, so two of them make a known pair about once in 6,000 pieces
(English; once in 40,000 Spanish) and three in a row about once in 2 million: see
docs/security.md. Chinese pieces are single characters separated by spaces; a
space-separated word of two characters or more ("转 人工") is ordinary.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

from common.language import HAN_CHAR
from guard._secrets import _LATIN_WORD, _fold, _lists

PAIRS = Path(__file__).with_name("ordinary_pairs.txt")

_WORD = re.compile(r"[^\W\d_]+")
# Pairs don't cross the end of a sentence; a comma is inside one ("hello, can you…").
_SENTENCE_END = re.compile(r"[.!?¿¡;\n。！？；]+")


@lru_cache(maxsize=1)
def known_pairs() -> frozenset[tuple[str, str]]:
    lines = PAIRS.read_text(encoding="utf-8").splitlines()
    pairs = (line.split() for line in lines if line and not line.startswith("#"))
    return frozenset((a, b) for a, b in pairs)


def neighbour_pairs(text: str) -> set[tuple[str, str]]:
    """Neighbouring list words of *text*, folded, within each sentence."""
    latin, _ = _lists()
    found: set[tuple[str, str]] = set()
    for sentence in _SENTENCE_END.split(text):
        words = [_fold(w) for w in _WORD.findall(sentence)]
        found.update((a, b) for a, b in pairwise(words) if a in latin and b in latin)
    return found


def ordinary(text: str) -> bool:
    """*text*, a message of list words, reads as something users say rather than a
    piece of a phrase."""
    words = _WORD.findall(text)
    if any(HAN_CHAR.search(w) for w in words):
        return any(len(w) > 1 for w in words)
    # A word off the list ("hello, can you help me") is no piece of a phrase; the list
    # words on either side of it are judged by their own neighbours.
    pairs = neighbour_pairs(text)
    return bool(pairs) and pairs <= known_pairs()


# Half a 12-word phrase inside a sentence ("how do I import oyster velvet galaxy ..."):
# six list words in a row, three of their neighbouring pairs never seen in ordinary
# messages. Measured on 5,000+ ordinary user messages (docs/security.md): none held.
RUN_WORDS, RUN_UNKNOWN_PAIRS = 6, 3


def phrase_runs(text: str) -> list[tuple[int, int, int]]:
    """(start, end, words) of each run of list words in *text* that reads as part of a
    phrase rather than as words users put together."""
    latin, _ = _lists()
    tokens = [(m.start(), m.end(), _fold(m.group())) for m in _LATIN_WORD.finditer(text)]
    found: list[tuple[int, int, int]] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j][2] in latin:
            j += 1
        if j - i >= RUN_WORDS:
            run = tokens[i:j]
            unknown = sum((a[2], b[2]) not in known_pairs() for a, b in pairwise(run))
            if unknown >= RUN_UNKNOWN_PAIRS:
                found.append((run[0][0], run[-1][1], len(run)))
        i = max(j, i + 1)
    return found
