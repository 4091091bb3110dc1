"""A knowledge base whose index is replaced while it serves (a publish going live).

The swap is one reference assignment: a search that started on the old index
finishes on it. A turn that searched the old index and then asks for an article's
answer gets it even if the new index dropped that article (the previous index is
kept for exactly that), so no turn fails across a swap.
"""

from __future__ import annotations

import numpy as np

from common.language import Language
from faq_kb.articles import Article
from faq_kb.search import Hit, HybridKnowledgeBase


class LiveKnowledgeBase:
    def __init__(self, kb: HybridKnowledgeBase, version: str | None) -> None:
        self._current = kb
        self._previous: HybridKnowledgeBase | None = None
        self.version = version  # the published version served, None: the built-in index
        self.min_confidence = kb.min_confidence

    @property
    def current(self) -> HybridKnowledgeBase:
        return self._current

    def swap(self, kb: HybridKnowledgeBase, version: str) -> None:
        self._previous = self._current
        self._current = kb
        self.version = version
        self.min_confidence = kb.min_confidence

    @property
    def fingerprint(self) -> str:
        return self._current.fingerprint

    def search(self, query: str, k: int = 3, vector: np.ndarray | None = None) -> list[Hit]:
        return self._current.search(query, k, vector)

    def article(self, article_id: str) -> Article | None:
        current, previous = self._current, self._previous
        found = current.article(article_id)
        if found is None and previous is not None:
            found = previous.article(article_id)
        return found

    def answer(self, article_id: str, language: Language) -> str:
        current, previous = self._current, self._previous
        if current.article(article_id) is None and previous is not None:
            return previous.answer(article_id, language)
        return current.answer(article_id, language)
