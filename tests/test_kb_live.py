"""The swap of a live knowledge base: searches go to the new index at once, and a turn
that searched the old one still gets its answer if the new one dropped the article."""

from __future__ import annotations

from typing import Any

from faq_kb.live import LiveKnowledgeBase
from faq_kb.search import Hit


class Index:
    def __init__(self, answers: dict[str, str], confidence: float = 0.5) -> None:
        self.answers = answers
        self.min_confidence = confidence

    def search(self, query: str, k: int = 3, vector: Any = None) -> list[Hit]:
        return [Hit(article, 0.9) for article in list(self.answers)[:k]]

    def article(self, article_id: str) -> Any:
        return article_id if article_id in self.answers else None

    def answer(self, article_id: str, language: str) -> str:
        return self.answers[article_id]  # KeyError for an unknown article, as the real one


def test_a_turn_that_searched_the_old_index_is_answered_after_the_swap() -> None:
    old = Index({"gone": "old answer", "kept": "kept v1"})
    live = LiveKnowledgeBase(old, None)  # type: ignore[arg-type]
    [first, _] = live.search("question")
    live.swap(Index({"kept": "kept v2"}, confidence=0.6), "r2")  # type: ignore[arg-type]
    assert live.article(first.article_id) is not None
    assert live.answer(first.article_id, "en") == "old answer"
    assert live.answer("kept", "en") == "kept v2"
    assert [h.article_id for h in live.search("question")] == ["kept"]
    assert live.version == "r2" and live.min_confidence == 0.6
