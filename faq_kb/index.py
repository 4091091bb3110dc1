"""Build, persist and load the knowledge-base index.

One entry per article title and example question, in every language. The dense
side is a faiss inner-product index over unit vectors (cosine); the lexical side
is :class:`faq_kb.lexical.LexicalRanker`. A manifest records the fingerprint of
the articles, the model and this code's format, so a stale index is detected
instead of silently answering from old content.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import joblib
import numpy as np

from common.language import Language
from faq_kb.articles import Article, load_articles
from faq_kb.calibration import Calibration, fit_calibration, load_negatives
from faq_kb.embedder import Embedder
from faq_kb.lexical import LexicalRanker
from faq_kb.manifest import (
    _FILES,
    ARTICLES_FILE,
    FORMAT_VERSION,
    IndexNotReady,
    fingerprint,
    stored_fingerprint,
)
from faq_kb.records import parse, to_record
from faq_kb.scoring import best_two

_BATCH = 64
Progress = Callable[[float], None]


@dataclass(frozen=True)
class Entry:
    article_id: str
    language: Language
    text: str


@dataclass
class KBIndex:
    articles: dict[str, Article]
    entries: list[Entry]
    dense: faiss.Index
    lexical: LexicalRanker
    calibration: Calibration
    fingerprint: str
    model: str = ""  # the embedder's name: whose vectors these are (faq_kb.embedder)

    def save(self, directory: Path, model_name: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # Write beside the live files, then rename, so a running reader never
        # sees half an index.
        tmp = directory / ".tmp"
        tmp.mkdir(exist_ok=True)
        (tmp / "entries.json").write_text(
            json.dumps([asdict(e) for e in self.entries], ensure_ascii=False), encoding="utf-8"
        )
        faiss.write_index(self.dense, str(tmp / "dense.faiss"))
        joblib.dump(self.lexical, tmp / "lexical.joblib")
        (tmp / "calibration.json").write_text(json.dumps(asdict(self.calibration)))
        records = [to_record(a) for a in self.articles.values()]
        (tmp / ARTICLES_FILE).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
        manifest = {
            "fingerprint": self.fingerprint,
            "format": FORMAT_VERSION,
            "model": model_name,
            "articles": len(self.articles),
            "entries": len(self.entries),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
        for name in (*_FILES, ARTICLES_FILE):
            (tmp / name).replace(directory / name)
        tmp.rmdir()


def build_index(
    articles_dir: Path, embedder: Embedder, negatives_path: Path, model_name: str
) -> KBIndex:
    return build_from_articles(
        load_articles(articles_dir),
        embedder,
        negatives_path,
        fingerprint(articles_dir, model_name, negatives_path),
    )


def _encode(embedder: Embedder, texts: list[str], progress: Progress | None) -> np.ndarray:
    """In batches, so a caller can show how far the build is."""
    parts = []
    for start in range(0, len(texts), _BATCH):
        parts.append(embedder.encode(texts[start : start + _BATCH]))
        if progress is not None:
            progress(0.9 * min(1.0, (start + _BATCH) / len(texts)))
    return np.vstack(parts) if parts else np.zeros((0, embedder.dimension), np.float32)


def build_from_articles(
    articles: list[Article],
    embedder: Embedder,
    negatives_path: Path,
    index_fingerprint: str,
    progress: Progress | None = None,
) -> KBIndex:
    """The index of *articles* (validated already); *progress* hears 0..1 as it goes."""
    entries = [
        Entry(article.id, lang, text)
        for article in articles
        for lang, localised in article.texts.items()
        for text in (localised.title, *localised.questions)
    ]
    texts = [e.text for e in entries]
    vectors = _encode(embedder, texts, progress)
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    lexical = LexicalRanker().fit(texts)

    # Leave-one-out: each example question is scored against every *other*
    # entry, as if a user had typed it; off-topic questions supply the negatives.
    dense_sim = vectors @ vectors.T
    lexical_sim = lexical.document_similarities()
    np.fill_diagonal(dense_sim, -1.0)
    np.fill_diagonal(lexical_sim, -1.0)
    owners = [e.article_id for e in entries]
    positives = best_two(texts, dense_sim, lexical_sim, owners)
    labels = [ranked[0][0] == owners[i] for i, ranked in enumerate(positives)]
    negative_texts = load_negatives(negatives_path)
    negatives = []
    if negative_texts:
        neg_dense = embedder.encode(negative_texts) @ vectors.T
        neg_lexical = lexical.similarities(negative_texts)
        negatives = best_two(negative_texts, neg_dense, neg_lexical, owners)
    calibration = fit_calibration(positives, labels, negatives)
    return KBIndex(
        articles={a.id: a for a in articles},
        entries=entries,
        dense=dense,
        lexical=lexical,
        calibration=calibration,
        fingerprint=index_fingerprint,
        model=embedder.name,
    )


def load_index(directory: Path, articles_dir: Path) -> KBIndex:
    manifest_path = directory / "manifest.json"
    if stored_fingerprint(directory) is None:
        raise IndexNotReady(f"no knowledge-base index in {directory}: run `python -m faq_kb build`")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexNotReady(f"index in {directory} has an old format: run `python -m faq_kb build`")
    raw_entries = json.loads((directory / "entries.json").read_text(encoding="utf-8"))
    return KBIndex(
        articles={a.id: a for a in _articles(directory, articles_dir)},
        entries=[Entry(**e) for e in raw_entries],
        dense=faiss.read_index(str(directory / "dense.faiss")),
        lexical=joblib.load(directory / "lexical.joblib"),
        calibration=Calibration(**json.loads((directory / "calibration.json").read_text())),
        fingerprint=manifest["fingerprint"],
        model=str(manifest.get("model", "")),
    )


def _articles(directory: Path, articles_dir: Path) -> list[Article]:
    stored = directory / ARTICLES_FILE
    if stored.exists():
        return [parse(r) for r in json.loads(stored.read_text(encoding="utf-8"))]
    return load_articles(articles_dir)
