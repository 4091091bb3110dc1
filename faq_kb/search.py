"""Answering questions from the knowledge base."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from common.language import Language
from common.settings import KBSettings, ServiceSettings
from faq_kb.articles import Article
from faq_kb.embedder import Embedder, shared_embedder
from faq_kb.index import KBIndex, load_index
from faq_kb.scoring import Groups, fuse, margins

log = logging.getLogger(__name__)
# MiniLM reads 256 word pieces at most; TF-IDF gains nothing from more text either.
MAX_QUERY_CHARS = 1000
_DENSE_CANDIDATES = 256


def query_text(text: str) -> str:
    """What the search embeds and ranks for *text*: a vector computed by someone else
    may stand in for the search's own only if it was computed from exactly this."""
    return text.strip()[:MAX_QUERY_CHARS]


@dataclass(frozen=True)
class Hit:
    article_id: str
    score: float  # calibrated: probability that this article answers the question

    def as_dict(self) -> dict[str, object]:
        return {"id": self.article_id, "score": round(self.score, 4)}


class KnowledgeBase(Protocol):
    """What the bot needs from a knowledge base (cf. rasa_sdk's ``KnowledgeBase``)."""

    min_confidence: float

    def search(self, query: str, k: int = 3) -> list[Hit]: ...

    def article(self, article_id: str) -> Article | None: ...

    def answer(self, article_id: str, language: Language) -> str: ...


class HybridKnowledgeBase:
    """faiss (dense) + TF-IDF (lexical) search over a prebuilt, persisted index."""

    def __init__(
        self,
        index: KBIndex,
        embedder: Embedder,
        service: ServiceSettings,
        min_confidence: float = 0.5,
    ) -> None:
        self._index = index
        self._embedder = embedder
        if index.model and index.model != embedder.name:
            # Torch's and onnxruntime's vectors differ by float noise only (the same
            # top-5 on every question measured), but say so: `faq_kb build` fixes it.
            log.warning(
                "knowledge base: index built by %s, searched with %s", index.model, embedder.name
            )
        self._service = service
        self._owners = Groups([e.article_id for e in index.entries])
        self.min_confidence = min_confidence

    @property
    def embedder(self) -> Embedder:
        return self._embedder

    @property
    def service(self) -> ServiceSettings:
        return self._service

    @classmethod
    def load(cls, settings: KBSettings, service: ServiceSettings) -> HybridKnowledgeBase:
        index = load_index(settings.index_dir, settings.articles_dir)
        embedder = shared_embedder(settings.resolved_model_path(), settings.torch_threads)
        return cls(index, embedder, service, settings.min_confidence)

    @property
    def fingerprint(self) -> str:
        """What the index was built from: two processes with the same rank alike."""
        return self._index.fingerprint

    def _dense_row(self, query: str, vector: np.ndarray | None) -> np.ndarray:
        total = self._index.dense.ntotal
        if vector is None:
            vector = self._embedder.encode([query])
        scores, ids = self._index.dense.search(
            np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1),
            min(total, _DENSE_CANDIDATES),
        )
        found = ids[0] >= 0
        row = np.full(total, float(scores[0][found].min()) if found.any() else 0.0, np.float32)
        row[ids[0][found]] = scores[0][found]
        return row

    def search(self, query: str, k: int = 3, vector: np.ndarray | None = None) -> list[Hit]:
        """*vector*: the query's sentence embedding when the caller already has it (Rasa's
        NLU computed it for the intent), from the same model; see :func:`query_text`."""
        query = query_text(query)
        if not query:
            return []
        lexical = self._index.lexical.similarities([query])[0]
        ranked = fuse(query, self._dense_row(query, vector), lexical, self._owners)
        calibration = self._index.calibration
        return [
            Hit(article_id, calibration.probability(score, margin))
            for (article_id, score), margin in zip(ranked[:k], margins(ranked)[:k], strict=True)
        ]

    def article(self, article_id: str) -> Article | None:
        return self._index.articles.get(article_id)

    def answer(self, article_id: str, language: Language) -> str:
        return self._index.articles[article_id].answer(language, self._service)
