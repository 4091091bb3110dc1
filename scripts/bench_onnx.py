"""MiniLM on onnxruntime against torch, one thread each (issue 21, item 4).

Exports the model to ONNX once (var/onnx/, as ``make setup`` does), then in one
process, with TensorFlow imported as in Rasa's: encodes the knowledge base's held-out
questions and the bot's dev questions (zh/en/es) one at a time, torch and ONNX in turn,
and prints the median and p95 per query and their ratio; compares the vectors (largest
difference, smallest cosine) and the knowledge base's top-5 articles for every
question, each backend with an index built by the project's own code from its own
vectors (and torch's index searched with ONNX's query vectors: the mixed case).
``--rss`` adds the resident memory of a process with each backend loaded, alone and
beside TensorFlow and spaCy as served; ``--intents`` the intent classifier on each.

    .venv/bin/python scripts/bench_onnx.py [--rss] [--intents] [--rounds 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.settings import ROOT, kb_settings, service_settings
from faq_kb import onnx_embedder, onnx_export
from faq_kb.articles import load_articles
from faq_kb.embedder import ONNX_SUFFIX, Embedder, SentenceTransformerEmbedder

QUESTION_FILES = (
    ROOT / "faq_kb" / "eval" / "questions.tsv",
    ROOT / "bot" / "eval" / "dev.tsv",
    ROOT / "bot" / "eval" / "dev2.tsv",
    ROOT / "bot" / "eval" / "dev3.tsv",
)
NEGATIVES = ROOT / "faq_kb" / "calibration" / "out_of_scope.tsv"
WARM_UP = 20
K = 5


def questions() -> list[tuple[str, str]]:
    """(language, question) from each file, in file order, without repeats."""
    seen: dict[str, str] = {}
    for path in QUESTION_FILES:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                seen.setdefault(row["question"], row["lang"])
    return [(lang, text) for text, lang in seen.items()]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def embedders(model_path: str) -> tuple[Embedder, Embedder]:
    if not onnx_embedder.ready(model_path):
        onnx_export.export(model_path, onnx_embedder.export_dir(model_path))
    torch_side = SentenceTransformerEmbedder(model_path, threads=1)  # torch.set_num_threads(1)
    onnx_file = onnx_embedder.export_dir(model_path) / onnx_embedder.MODEL_FILE
    onnx_side = onnx_embedder.OnnxEmbedder(model_path, onnx_file, model_path + ONNX_SUFFIX, 1)
    return torch_side, onnx_side


def timings(sides: tuple[Embedder, Embedder], texts: list[str], rounds: int) -> list[list[float]]:
    """Milliseconds per single-text encode for each side; which side goes first alternates."""
    for text in texts[:WARM_UP]:
        for side in sides:
            side.encode([text])
    result: list[list[float]] = [[], []]
    for _ in range(rounds):
        for i, text in enumerate(texts):
            for which in (0, 1) if i % 2 == 0 else (1, 0):
                started = time.perf_counter()
                sides[which].encode([text])
                result[which].append((time.perf_counter() - started) * 1000)
    return result


def rankings(sides: tuple[Embedder, Embedder], texts: list[str]) -> dict[str, object]:
    from faq_kb.index import build_from_articles
    from faq_kb.search import HybridKnowledgeBase

    settings = kb_settings()
    articles = load_articles(settings.articles_dir)
    service = service_settings()
    indexes = [build_from_articles(articles, side, NEGATIVES, side.name) for side in sides]
    torch_kb, onnx_kb = (
        HybridKnowledgeBase(index, side, service)
        for index, side in zip(indexes, sides, strict=True)
    )
    # Torch's index with ONNX's query vector: what an index built before the switch serves.
    mixed_kb = HybridKnowledgeBase(indexes[0], sides[1], service)
    differ = mixed_differ = 0
    score_gap = 0.0
    for text in texts:
        a, b, c = (kb.search(text, k=K) for kb in (torch_kb, onnx_kb, mixed_kb))
        differ += [h.article_id for h in a] != [h.article_id for h in b]
        mixed_differ += [h.article_id for h in a] != [h.article_id for h in c]
        score_gap = max(score_gap, *(abs(x.score - y.score) for x, y in zip(a, b, strict=True)))
    entry_vectors = [index.dense.reconstruct_n(0, index.dense.ntotal) for index in indexes]
    return {
        "differ": differ,
        "mixed_differ": mixed_differ,
        "score_gap": score_gap,
        "entries": len(entry_vectors[0]),
        "entry_gap": float(np.abs(entry_vectors[0] - entry_vectors[1]).max()),
    }


def rss(backend: str, as_served: bool) -> int:
    """Resident kB of a fresh process with *backend*'s embedder loaded and used once; when
    *as_served*, after TensorFlow and spaCy, as in Rasa's and the action server's
    processes (spaCy's thinc imports torch there whichever backend embeds)."""
    code = (
        "import sys; sys.path.insert(0, '.');"
        "sys.argv[2] == 'served' and [__import__(m) for m in ('tensorflow', 'spacy')];"
        "from common.settings import kb_settings; from faq_kb import embedder, onnx_embedder;"
        "p = kb_settings().resolved_model_path();"
        "f = onnx_embedder.export_dir(p) / onnx_embedder.MODEL_FILE;"
        "e = (embedder.SentenceTransformerEmbedder(p, 1) if sys.argv[1] == 'torch' "
        "else onnx_embedder.OnnxEmbedder(p, f, p, 1));"
        "e.encode(['how do I back up my wallet']);"
        "print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, backend, "served" if as_served else "-"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    return int(done.stdout.split()[-1])


def intents(sides: tuple[Embedder, Embedder]) -> list[str]:
    """The intent classifier config.yml runs, as scripts/compare_nlu.py fits it (TF-IDF
    char 1-4 + words + 2 x MiniLM, C=100), on each backend's vectors: accuracy on the
    held-out NLU split per language, and how many predictions change, also for a model
    fitted on torch's vectors and served onnxruntime's (a Rasa model trained before)."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot.nlu.featurizers import word_tokens

    sys.path.insert(0, str(ROOT / "scripts"))
    from compare_nlu import LANGUAGES, load

    train = [e for lang in LANGUAGES for e in load(ROOT / "nlu_data" / f"{lang}.yml")]
    texts, labels = [t for t, _ in train], [i for _, i in train]
    tests = {lang: load(ROOT / "tests" / "data" / f"nlu_test_{lang}.yml") for lang in LANGUAGES}
    sparse = [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True).fit(texts),
        TfidfVectorizer(analyzer=word_tokens, sublinear_tf=True).fit(texts),
    ]

    def features(batch: list[str], side: Embedder) -> csr_matrix:
        dense = csr_matrix(side.encode(batch) * 2.0)
        return hstack([*(v.transform(batch) for v in sparse), dense]).tocsr()

    models = [
        LogisticRegression(C=100.0, max_iter=1000, class_weight="balanced").fit(
            features(texts, side), labels
        )
        for side in sides
    ]
    rows = []
    for lang in LANGUAGES:
        batch, truth = (list(x) for x in zip(*tests[lang], strict=True))
        own = [m.predict(features(batch, side)) for m, side in zip(models, sides, strict=True)]
        mixed = models[0].predict(features(batch, sides[1]))
        accuracy = [float(np.mean(p == np.array(truth))) for p in own]
        rows.append(
            f"| {lang} | {len(batch)} | {accuracy[0]:.3f} | {accuracy[1]:.3f} | "
            f"{int(np.sum(own[0] != own[1]))} | {int(np.sum(own[0] != mixed))} |"
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the questions")
    parser.add_argument("--rss", action="store_true", help="also each backend's resident memory")
    parser.add_argument("--intents", action="store_true", help="also the intent classifier")
    args = parser.parse_args()
    import tensorflow  # noqa: F401  -- in Rasa's process too; it changes torch's timings

    sides = embedders(kb_settings().resolved_model_path())
    asked = questions()
    texts = [text for _, text in asked]
    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, load {os.getloadavg()[0]:.2f}")
    print(
        f"{len(texts)} questions: "
        + ", ".join(
            f"{lang} {sum(1 for said, _ in asked if said == lang)}" for lang in ("zh", "en", "es")
        )
    )

    vectors = [side.encode([t]) for side in sides for t in texts]
    torch_v, onnx_v = np.vstack(vectors[: len(texts)]), np.vstack(vectors[len(texts) :])
    cosines = (torch_v * onnx_v).sum(axis=1)
    print(
        f"vectors: max |torch - onnx| {np.abs(torch_v - onnx_v).max():.2e}, "
        f"min cosine {cosines.min():.8f}"
    )

    torch_ms, onnx_ms = timings(sides, texts, args.rounds)
    print("| backend (1 thread) | median ms/query | p95 ms/query |")
    print("|---|---:|---:|")
    for name, values in (("torch", torch_ms), ("onnxruntime", onnx_ms)):
        print(f"| {name} | {statistics.median(values):.2f} | {pct(values, 0.95):.2f} |")
    ratio = statistics.median(onnx_ms) / statistics.median(torch_ms)
    print(f"onnx/torch: median {ratio:.3f}x, p95 {pct(onnx_ms, 0.95) / pct(torch_ms, 0.95):.3f}x")

    found = rankings(sides, texts)
    print(
        f"top-{K} articles differ (own index each): {found['differ']} of {len(texts)}; "
        f"torch index + onnx query: {found['mixed_differ']}; "
        f"largest calibrated-score gap {found['score_gap']:.2e}; "
        f"index entries {found['entries']}, largest vector gap {found['entry_gap']:.2e}"
    )
    if args.intents:
        print(
            "| lang | questions | intent accuracy, torch | onnxruntime | predictions changed "
            "| torch-fitted model, onnxruntime vectors: changed |"
        )
        print("|---|---:|---:|---:|---:|---:|")
        print("\n".join(intents(sides)))
    print(f"load {os.getloadavg()[0]:.2f} at the end")
    if args.rss:
        for served, label in ((False, "embedder only"), (True, "TensorFlow + spaCy + embedder")):
            torch_kb, onnx_kb = rss("torch", served), rss("onnx", served)
            print(
                f"RSS, {label}: torch {torch_kb / 1024:.0f} MB, onnxruntime "
                f"{onnx_kb / 1024:.0f} MB ({onnx_kb / torch_kb:.2f}x, "
                f"{(torch_kb - onnx_kb) / 1024:.0f} MB less)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
