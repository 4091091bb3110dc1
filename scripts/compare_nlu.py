"""Compare intent-classifier candidates on the held-out NLU split (one run).

The candidates share the project's tokenizer and differ in features and
classifier, fitted with scikit-learn directly so each takes seconds rather
than a full `rasa train`. The winner is what config.yml runs; its in-Rasa
score is in docs/benchmarks.md (`rasa test nlu`).

Usage: .venv/bin/python scripts/compare_nlu.py
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.nlu.featurizers import word_tokens  # noqa: E402

ANNOTATION = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")
LANGUAGES = ("zh", "en", "es")


def load(path: Path) -> list[tuple[str, str]]:
    examples = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in block.get("examples", "").splitlines():
            line = line.strip()
            if "intent" in block and line.startswith("- "):
                examples.append((ANNOTATION.sub(r"\1", line[2:]), block["intent"]))
    return examples


def main() -> int:
    train = [e for lang in LANGUAGES for e in load(ROOT / "nlu_data" / f"{lang}.yml")]
    tests = {lang: load(ROOT / "tests" / "data" / f"nlu_test_{lang}.yml") for lang in LANGUAGES}
    texts, labels = [t for t, _ in train], [i for _, i in train]

    from common.settings import kb_settings
    from faq_kb.embedder import SentenceTransformerEmbedder

    embed = SentenceTransformerEmbedder(kb_settings().resolved_model_path(), threads=1).encode
    cache: dict[str, np.ndarray] = {}

    def embeddings(batch: list[str]) -> np.ndarray:
        missing = [t for t in batch if t not in cache]
        if missing:
            cache.update(zip(missing, embed(missing), strict=True))
        return np.stack([cache[t] for t in batch])

    def vectorizers(kind: str) -> list:  # type: ignore[type-arg]
        cls = TfidfVectorizer if kind == "tfidf" else CountVectorizer
        options = {"sublinear_tf": True} if kind == "tfidf" else {}
        return [
            cls(analyzer="char_wb", ngram_range=(1, 4), **options).fit(texts),
            cls(analyzer=word_tokens, **options).fit(texts),
        ]

    print("| features | C | zh | en | es | fit time |")
    print("|---|---|---|---|---|---|")
    for kind in ("count", "tfidf"):
        fitted = vectorizers(kind)
        for with_embeddings in (False, True):

            def features(
                batch: list[str],
                fitted: list = fitted,
                with_embeddings: bool = with_embeddings,  # type: ignore[type-arg]
            ) -> csr_matrix:
                parts = [v.transform(batch) for v in fitted]
                if with_embeddings:
                    parts.append(csr_matrix(embeddings(batch) * 2.0))
                return hstack(parts).tocsr()

            for c in (1.0, 100.0):
                started = time.perf_counter()
                model = LogisticRegression(C=c, max_iter=1000, class_weight="balanced")
                model.fit(features(texts), labels)
                seconds = time.perf_counter() - started
                scores = []
                for lang in LANGUAGES:
                    batch, truth = zip(*tests[lang], strict=True)
                    scores.append(np.mean(model.predict(features(list(batch))) == np.array(truth)))
                name = f"{'TF-IDF' if kind == 'tfidf' else 'counts'} char1-4 + words" + (
                    " + MiniLM" if with_embeddings else ""
                )
                print(
                    f"| {name} | {c:g} | "
                    + " | ".join(f"{s:.3f}" for s in scores)
                    + f" | {seconds:.1f} s |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
