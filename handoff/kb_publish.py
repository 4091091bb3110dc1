"""Publishing the knowledge base: build the new index in the background, then go live.

:meth:`Publisher.start` takes the publish slot in the database (one build at a time;
a publish based on a live revision that is no longer live is refused with
:class:`store.Conflict`), then a thread builds the index into a new version
directory. Only a finished build is named live, so a failed one changes nothing;
every action server picks the new version up by polling (bot.kb_follow).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from common.settings import ROOT, KBSettings
from faq_kb.articles import ArticleError
from faq_kb.embedder import Embedder
from faq_kb.index import IndexNotReady, load_index
from faq_kb.records import Record, diff, read_dir, validate
from faq_kb.versions import build_records, publish_version
from store import kb as kb_store

log = logging.getLogger(__name__)
NEGATIVES = ROOT / "faq_kb" / "calibration" / "out_of_scope.tsv"
_CACHE_LIMIT = 200_000


class CachingEmbedder:
    """Texts embedded once per process: a rebuild after one edit embeds only that edit."""

    def __init__(self, inner: Embedder) -> None:
        self.name, self.dimension = inner.name, inner.dimension
        self._inner = inner
        self._known: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def remember(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Vectors an index already holds (built with the same model): no need to embed."""
        with self._lock:
            self._known.update(zip(texts, vectors, strict=True))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._known))
            if missing:
                if len(self._known) > _CACHE_LIMIT:
                    self._known.clear()
                self._known.update(zip(missing, self._inner.encode(missing), strict=True))
            if not texts:
                return np.zeros((0, self.dimension), np.float32)
            return np.vstack([self._known[t] for t in texts]).astype(np.float32)


class Publisher:
    def __init__(self, database: sessionmaker[Session], settings: KBSettings) -> None:
        self.database = database
        self.settings = settings
        self._embedder: CachingEmbedder | None = None
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def use(self, embedder: Embedder) -> None:
        """Build with *embedder* instead of the configured model (tests, a custom model)."""
        with self._lock:
            self._embedder = CachingEmbedder(embedder)

    @property
    def loaded(self) -> bool:
        """Whether the encoder is loaded in this process."""
        return self._embedder is not None

    def embedder(self) -> CachingEmbedder:
        """The model, loaded on the first Try it or Publish (the desk alone never needs it)."""
        with self._lock:
            if self._embedder is None:
                from faq_kb.embedder import load_embedder

                model = load_embedder(
                    self.settings.resolved_model_path(), threads=self.settings.torch_threads
                )
                self._embedder = CachingEmbedder(model)
                self._remember_built(self._embedder)
            return self._embedder

    def _remember_built(self, embedder: CachingEmbedder) -> None:
        """The built-in index's vectors: the first build then embeds only what changed."""
        try:
            index = load_index(self.settings.index_dir, self.settings.articles_dir)
        except (OSError, ValueError, IndexNotReady) as exc:
            log.info("knowledge base: no built index to reuse vectors from: %s", exc)
            return
        if index.model != embedder.name:  # torch's vectors and onnxruntime's never mix
            log.info("knowledge base: built index is from %s, not %s", index.model, embedder.name)
            return
        if index.dense.d == embedder.dimension and index.dense.ntotal == len(index.entries):
            vectors = index.dense.reconstruct_n(0, index.dense.ntotal)
            embedder.remember([e.text for e in index.entries], vectors)

    def baseline(self, db: Session) -> list[Record]:
        """What is live now: the last publish, else the repository's article files."""
        live = kb_store.last_live_articles(db)
        if live is not None:
            return live
        try:
            return read_dir(self.settings.articles_dir)
        except ArticleError:
            return []

    def start(
        self,
        author: str,
        expected_live: int | None,
        records: list[Record] | None = None,
        restored_from: int | None = None,
    ) -> int:
        """Take the publish slot and build in the background; the new revision's id.

        Raises ArticleError (the draft is invalid: nothing is published) or
        store.Conflict (another publish won)."""
        with self.database.begin() as db:
            if records is None:
                records = kb_store.snapshot(db)
            else:  # a restore: the drafts become that revision's articles
                kb_store.replace_all(db, records, author)
            validate(records)
            changes = diff(self.baseline(db), records)
            revision = kb_store.begin_publish(
                db, author, expected_live, records, changes, restored_from
            )
            revision_id = int(revision.id)
        thread = threading.Thread(
            target=self._build, args=(revision_id, records), name=f"kb-publish-{revision_id}"
        )
        thread.start()
        self.threads.append(thread)
        return revision_id

    def _build(self, revision_id: int, records: list[Record]) -> None:
        def progress(done: float) -> None:
            with self.database.begin() as db:
                kb_store.set_progress(db, revision_id, round(done, 3))

        try:
            embedder = self.embedder()
            model = embedder.name  # with the backend: see faq_kb.embedder.model_identity
            index = build_records(records, embedder, NEGATIVES, model, progress)
            name = f"r{revision_id}-{index.fingerprint}"
            publish_version(index, self.settings.index_dir, name, model)
        except Exception as exc:  # any failure: the live index stays
            log.exception("knowledge base: publish %s failed", revision_id)
            with self.database.begin() as db:
                kb_store.fail_publish(db, revision_id, f"{type(exc).__name__}: {exc}")
            return
        with self.database.begin() as db:
            kb_store.finish_publish(db, revision_id, name)
        log.info("knowledge base: revision %s is live as %s", revision_id, name)
