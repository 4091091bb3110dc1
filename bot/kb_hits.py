"""The knowledge base's hits for a message, computed once inside Rasa's NLU.

Rasa's NLU embeds every message with the same MiniLM model the knowledge base
searches with (bot.nlu.featurizers), so the search runs there, with that vector
(bot.nlu.kb_search), and its hits travel in the parse data to the action server:
one encode per message instead of two. The action server takes them only when
they are about this exact text and come from the index it serves itself (the same
fingerprint: a publish that one process has picked up and the other not yet
makes it search on its own), so the answer is the one its own search would give.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faq_kb.search import Hit

# Rasa message data: the unit-length sentence embedding (never in the parse output).
SENTENCE_VECTOR = "sentence_vector"
# Parse data: {"index": <fingerprint>, "text": <the text searched>, "hits": [...]}.
KNOWLEDGE_BASE = "knowledge_base"


def as_parse_data(text: str, fingerprint: str, hits: list[Hit]) -> dict[str, Any]:
    # Scores unrounded: the decision's thresholds must see exactly what a search gives.
    return {
        "index": fingerprint,
        "text": text,
        "hits": [{"id": h.article_id, "score": float(h.score)} for h in hits],
    }


def hits_from(parse_data: Mapping[str, Any], text: str, fingerprint: str) -> list[Hit] | None:
    """The hits in *parse_data* for *text* on the index *fingerprint*, else None."""
    found = parse_data.get(KNOWLEDGE_BASE)
    if not isinstance(found, Mapping):
        return None
    if found.get("index") != fingerprint or found.get("text") != text:
        return None
    try:
        return [Hit(str(h["id"]), float(h["score"])) for h in found.get("hits") or []]
    except (KeyError, TypeError, ValueError):
        return None
