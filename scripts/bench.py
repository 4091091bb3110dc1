"""Reproduce every figure in docs/benchmarks.md in one run; prints Markdown.

Usage: ``make bench`` (or ``.venv/bin/python scripts/bench.py [--skip-train]``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OFF_TOPIC: list[str] = []  # filled during the 1-thread round-trip run (same servers)
BANKING77 = ROOT.parent / "shared" / "benchmarks" / "banking77_mapped.tsv"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_training() -> str:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.train", "--force"], cwd=ROOT, check=True, capture_output=True
    )
    return f"| `rasa train` (full, no cache) | {time.perf_counter() - started:.0f} s |"


def bench_nlu() -> list[str]:
    model = (
        subprocess.run(
            [sys.executable, "-m", "bot.train"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    rows = []
    for language in ("zh", "en", "es"):
        out = Path(tempfile.mkdtemp())
        subprocess.run(
            [
                str(Path(sys.executable).parent / "rasa"),
                "test",
                "nlu",
                "--model",
                model,
                "--nlu",
                f"tests/data/nlu_test_{language}.yml",
                "--out",
                str(out),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        report = json.loads((out / "intent_report.json").read_text())
        n = report["macro avg"]["support"]
        rows.append(
            f"| {language} | {n} | {report['accuracy']:.3f} | "
            f"{report['macro avg']['f1-score']:.3f} | {report['weighted avg']['f1-score']:.3f} |"
        )
    return rows


def bench_kb() -> list[str]:
    from common.settings import kb_settings, service_settings
    from faq_kb.evaluate import evaluate, read_labelled
    from faq_kb.search import HybridKnowledgeBase

    kb = HybridKnowledgeBase.load(kb_settings(), service_settings())
    rows = []
    own = evaluate(kb, read_labelled(ROOT / "faq_kb" / "eval" / "questions.tsv"))
    for language in ("zh", "en", "es"):
        r = own[language].as_dict()
        rows.append(
            f"| own held-out | {language} | {r['questions']} | {r['hit@1']:.3f} | {r['hit@3']:.3f} | "
            f"{r['mrr']:.3f} | {r['answered']:.3f} | {r['answered_precision']:.3f} | "
            f"{r['off_topic_answered']:.3f} ({r['off_topic']}) |"
        )
    if BANKING77.exists():
        r = evaluate(kb, read_labelled(BANKING77))["en"].as_dict()
        rows.append(
            f"| BANKING77 mapped | en | {r['questions']} | {r['hit@1']:.3f} | {r['hit@3']:.3f} | "
            f"{r['mrr']:.3f} | {r['answered']:.3f} | {r['answered_precision']:.3f} | – |"
        )
    return rows


def bench_encode() -> list[str]:
    """One process, TensorFlow imported (as in the Rasa server), 1 vs 2 torch threads."""
    import tensorflow  # noqa: F401  -- present in the Rasa process; it changes the result
    import torch

    from common.settings import kb_settings
    from faq_kb.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(kb_settings().resolved_model_path(), threads=1)
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        timings = []
        for i in range(300):
            started = time.perf_counter()
            embedder.encode([f"my usdt transfer number {i} has not arrived yet"])
            timings.append((time.perf_counter() - started) * 1000)
        timings = timings[20:]
        rows.append(
            f"| {threads} | {statistics.median(timings):.1f} ms | {pct(timings, 0.95):.1f} ms |"
        )
    return rows


def bench_off_topic(rasa_url: str) -> list[str]:
    """Off-topic questions through the whole bot (NLU + KB), not the KB alone."""
    import httpx

    from common.settings import kb_settings, service_settings
    from faq_kb.articles import load_articles
    from faq_kb.evaluate import read_labelled

    service = service_settings()
    answers = {
        article.answer(language, service)
        for article in load_articles(kb_settings().articles_dir)
        for language in ("zh", "en", "es")
    }
    rows = [
        r for r in read_labelled(ROOT / "faq_kb" / "eval" / "questions.tsv") if r[1] == {"none"}
    ]
    counts: dict[str, list[int]] = {}
    with httpx.Client(timeout=30) as client:
        for i, (language, _, question) in enumerate(rows):
            replies = client.post(
                f"{rasa_url}/webhooks/rest/webhook",
                json={"sender": f"offtopic-{i}", "message": question},
            ).json()
            answered = any(r.get("text") in answers for r in replies)
            counts.setdefault(language, []).append(int(answered))
    return [f"| {lang} | {len(v)} | {sum(v) / len(v):.3f} |" for lang, v in sorted(counts.items())]


def bench_rest(turns: int, threads: int = 1) -> list[str]:
    import httpx

    from tests.support.servers import running_servers

    questions = [
        "what are your support hours",
        "客服电话是多少",
        "¿cómo abro un ticket?",
        "how do I update the app",
        "助记词可以告诉客服吗",
        "¿qué es una comisión de red?",
    ]
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_servers(Path(workdir), {"KB_TORCH_THREADS": str(threads)}) as servers,
    ):
        parse, rest = [], []
        with httpx.Client(timeout=30) as client:
            for i in range(turns):
                q = questions[i % len(questions)]
                started = time.perf_counter()
                client.post(f"{servers.rasa_url}/model/parse", json={"text": q}).raise_for_status()
                parse.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                reply = client.post(
                    f"{servers.rasa_url}/webhooks/rest/webhook",
                    json={"sender": f"bench-{i % 20}", "message": q},
                )
                reply.raise_for_status()
                rest.append((time.perf_counter() - started) * 1000)
        parse, rest = parse[10:], rest[10:]
        if threads == 1:
            OFF_TOPIC.extend(bench_off_topic(servers.rasa_url))
    return [
        f"| {threads} | bare `/model/parse` | {len(parse)} | {statistics.median(parse):.0f} ms | {pct(parse, 0.95):.0f} ms |",
        f"| {threads} | FAQ answer over REST (Rasa + action server + KB) | {len(rest)} | "
        f"{statistics.median(rest):.0f} ms | {pct(rest, 0.95):.0f} ms |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--only-rest", action="store_true", help="just the round-trip tables")
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    out = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, one run, "
        f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores.",
        "",
    ]
    if args.only_rest:
        out += [
            "| torch threads per process | request | n | p50 | p95 |",
            "|---|---|---|---|---|",
            *bench_rest(args.turns, 1),
            *bench_rest(args.turns, 2),
        ]
        print("\n".join(out))
        return 0
    if not args.skip_train:
        out += ["| step | time |", "|---|---|", bench_training(), ""]
    out += [
        "| language | test examples | accuracy | macro F1 | weighted F1 |",
        "|---|---|---|---|---|",
        *bench_nlu(),
        "",
    ]
    out += [
        "| set | lang | questions | hit@1 | hit@3 | MRR | answered | answered precision | "
        "off-topic answered (n) |",
        "|---|---|---|---|---|---|---|---|---|",
        *bench_kb(),
        "",
    ]
    out += ["| torch threads | encode p50 | encode p95 |", "|---|---|---|", *bench_encode(), ""]
    out += [
        "| torch threads per process | request | n | p50 | p95 |",
        "|---|---|---|---|---|",
        *bench_rest(args.turns, threads=1),
        *bench_rest(args.turns, threads=2),
        "",
        "| lang | off-topic questions | answered with an article by the bot |",
        "|---|---|---|",
        *OFF_TOPIC,
        "",
    ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
