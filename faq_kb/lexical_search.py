"""The knowledge base's lexical side alone, for processes that must not load a model.

The agent desk suggests articles from inside the gateway: the embedding model (torch)
and Rasa's TensorFlow stay in the bot's processes, and only the persisted TF-IDF
ranker and the articles are read here. It ranks; it does not decide: its scores are
uncalibrated similarities, good for ordering suggestions a person then reads, not for
answering a user unattended (that is :class:`faq_kb.search.HybridKnowledgeBase`).
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib

from common.language import Language
from common.settings import KBSettings, ServiceSettings
from faq_kb.articles import Article, load_articles
from faq_kb.index import FORMAT_VERSION, IndexNotReady, stored_fingerprint
from faq_kb.lexical import LexicalRanker
from faq_kb.scoring import Groups, per_article
from faq_kb.search import MAX_QUERY_CHARS, Hit


class LexicalKnowledgeBase:
    """TF-IDF (character n-grams and words) over the index's entries, per article."""

    min_confidence = 0.0  # never answers on its own (see the module's docstring)

    def __init__(
        self,
        articles: dict[str, Article],
        owners: list[str],
        ranker: LexicalRanker,
        service: ServiceSettings,
    ) -> None:
        self._articles = articles
        self._owners = Groups(owners)
        self._ranker = ranker
        self._service = service

    @classmethod
    def load(cls, settings: KBSettings, service: ServiceSettings) -> LexicalKnowledgeBase:
        directory = settings.index_dir
        if stored_fingerprint(directory) is None:
            raise IndexNotReady(
                f"no knowledge-base index in {directory}: run `python -m faq_kb build`"
            )
        manifest = json.loads((directory / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexNotReady(
                f"index in {directory} has an old format: run `python -m faq_kb build`"
            )
        entries = json.loads(Path(directory / "entries.json").read_text(encoding="utf-8"))
        ranker = joblib.load(directory / "lexical.joblib")
        if not isinstance(ranker, LexicalRanker):
            raise IndexNotReady(f"{directory / 'lexical.joblib'} holds no lexical ranker")
        articles = {a.id: a for a in load_articles(settings.articles_dir)}
        return cls(articles, [str(e["article_id"]) for e in entries], ranker, service)

    def search(self, query: str, k: int = 3) -> list[Hit]:
        # The end of a long text is kept: it is what the user said last.
        query = query.strip()[-MAX_QUERY_CHARS:]
        if not query:
            return []
        ranked = per_article(self._ranker.similarities([query])[0], self._owners)
        # An article edited away since the index was built is skipped, not shown stale.
        hits = [Hit(a, score) for a, score in ranked if a in self._articles and score > 0]
        return hits[:k]

    def article(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    def answer(self, article_id: str, language: Language) -> str:
        return self._articles[article_id].answer(language, self._service)
