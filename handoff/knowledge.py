"""The console's knowledge base: seeding, checked saves, and "Try it".

Saves are validated as ``python -m faq_kb build`` validates the files (every
language, known placeholders, lengths, no example question in two articles); a
refusal is an :class:`ArticleError` naming the field. "Try it" runs a question
through an index of the drafts and through the live index, and says what the bot
would do with each (:func:`faq_kb.decision.decide`, the rule the bot runs).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from common.language import Language
from common.settings import KBSettings, ServiceSettings
from faq_kb.articles import ArticleError
from faq_kb.decision import Candidate, decide
from faq_kb.index import IndexNotReady, load_index
from faq_kb.records import Record, normalised, read_dir, validate
from faq_kb.search import HybridKnowledgeBase
from faq_kb.versions import build_records, load_version, records_fingerprint
from handoff.kb_publish import NEGATIVES, Publisher
from store import kb as kb_store

log = logging.getLogger(__name__)
# What "Try it" assumes the NLU made of the question: a confident support question,
# the usual reading of what an editor types there.
TRY_INTENT, TRY_CONFIDENCE = "ask_faq", 0.9
_KINDS = {"clarify": "suggest"}  # the bot's "did you mean…" is a suggestion to an editor


class Knowledge:
    def __init__(
        self,
        database: sessionmaker[Session],
        settings: KBSettings,
        service: ServiceSettings,
    ) -> None:
        self.database = database
        self.settings = settings
        self.service = service
        self.publisher = Publisher(database, settings)
        self._lock = threading.Lock()
        self._draft: tuple[str, HybridKnowledgeBase] | None = None
        self._live: tuple[str, HybridKnowledgeBase] | None = None

    def seed(self) -> int:
        """An empty database gets the repository's articles (how many it got)."""
        with self.database() as db:
            if kb_store.count(db) or kb_store.revisions(db, 1):
                return 0
        try:
            records = read_dir(self.settings.articles_dir)
        except ArticleError as exc:
            log.warning("knowledge base: not seeded, the article files are invalid: %s", exc)
            return 0
        try:
            with self.database.begin() as db:
                kb_store.replace_all(db, records, "faq_kb/articles")
        except IntegrityError:  # another gateway seeded it at the same moment
            return 0
        return len(records)

    def checked(self, db: Session, record: Record) -> Record:
        """*record* trimmed as a build stores it, if it may join the other drafts."""
        clean = normalised(record)
        others = [r for r in kb_store.snapshot(db) if r["id"] != clean["id"]]
        validate([*others, clean])
        return clean

    def try_question(self, question: str, language: Language) -> dict[str, Any]:
        with self._lock:
            draft, live = self._draft_kb(), self._live_kb()
        return {
            "draft": self._outcome(draft, question, language),
            "live": self._outcome(live, question, language) if live is not None else None,
        }

    def nearest(self, questions: list[str]) -> list[str | None]:
        """The live article nearest to each question (the Gaps page's suggestions; the
        live index, not the drafts': an edit must not cost a build); all None when no
        index is live."""
        with self._lock:
            kb = self._live_kb()
        found = [kb.search(q, k=1) if kb is not None else [] for q in questions]
        return [hits[0].article_id if hits else None for hits in found]

    def _outcome(
        self, kb: HybridKnowledgeBase, question: str, language: Language
    ) -> dict[str, Any]:
        hits = kb.search(question, k=3)
        decision = decide(
            TRY_INTENT, TRY_CONFIDENCE, [Candidate(h.article_id, h.score) for h in hits]
        )

        def title(article_id: str | None) -> str | None:
            article = kb.article(article_id) if article_id else None
            return article.title(language) if article is not None else None

        return {
            "hits": [
                {"id": h.article_id, "title": title(h.article_id), "score": round(h.score, 3)}
                for h in hits
            ],
            "kind": _KINDS.get(decision.kind, decision.kind),
            "article": decision.article,
            "flow": decision.flow,
            "options": [{"id": o, "title": title(o)} for o in decision.options],
            "rule": decision.rule,
            "answer": kb.answer(decision.article, language) if decision.article else None,
        }

    def _draft_kb(self) -> HybridKnowledgeBase:
        with self.database() as db:
            records = kb_store.snapshot(db)
        embedder = self.publisher.embedder()
        model = embedder.name
        key = records_fingerprint(records, model, NEGATIVES)
        if self._draft is None or self._draft[0] != key:
            index = build_records(records, embedder, NEGATIVES, model)
            self._draft = (key, self._searcher(index))
        return self._draft[1]

    def _live_kb(self) -> HybridKnowledgeBase | None:
        """The index users are answered from (None: none built yet)."""
        with self.database() as db:
            version = kb_store.live_version(db)[1]
        key = version or ""
        if self._live is None or self._live[0] != key:
            try:
                if version is None:  # nothing published from the console: the built-in one
                    index = load_index(self.settings.index_dir, self.settings.articles_dir)
                else:
                    index = load_version(self.settings.index_dir, version)
            except IndexNotReady:
                return None
            self._live = (key, self._searcher(index))
        return self._live[1]

    def _searcher(self, index: Any) -> HybridKnowledgeBase:
        embedder = self.publisher.embedder()
        return HybridKnowledgeBase(index, embedder, self.service, self.settings.min_confidence)
