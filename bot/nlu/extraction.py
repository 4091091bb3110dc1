"""Entity extraction shared by the NLU component and the form validators.

Two passes over a message. Hashes, addresses and dates have exact formats, so
regular expressions (:mod:`bot.nlu.formats`) find them first and mask them.
Chains, tokens, amounts and times then come from the spaCy ``EntityRuler`` of
:mod:`bot.nlu.pipelines`, and amounts are normalised by :mod:`bot.nlu.amounts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.nlu._lexicon import TIME_JOINERS
from bot.nlu.amounts import normalise_amount
from bot.nlu.formats import find_formats
from bot.nlu.pipelines import language_for, pipeline, spaced


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
    formats = [Found(kind, text[s:e], s, e, text[s:e]) for kind, s, e in find_formats(text)]
    masked = list(text)
    for f in formats:
        masked[f.start : f.end] = " " * (f.end - f.start)
    split, where = spaced("".join(masked))
    doc = pipeline(language_for(text))(split)
    found = list(formats)
    pending: Found | None = None
    for ent in doc.ents:
        start, end = where[ent.start_char], where[ent.end_char - 1] + 1
        span_text = text[start:end]
        item = Found(ent.label_, _value(ent.label_, span_text, ent.ent_id_), start, end, span_text)
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
    return text[left.end : right.start].strip().lower() in TIME_JOINERS
