"""Knowledge-base publishing (issue 18): publish -> served, and index build times.

    python scripts/bench_kb_publish.py served [--runs 10]   # real action server + Publisher
    python scripts/bench_kb_publish.py build [--synthetic 1000] [--examples 3] [--no-current]
        [--profile]
    python scripts/bench_kb_publish.py ranking [--synthetic 1000]  # the build's ranking alone

``served``: one real action server (polling every 2 s, the default) on a fresh SQLite
desk database; the gateway's Publisher with the real model builds each edit (one
English answer changed) and the clock runs from Publish until the action server
answers with the new text. ``build``: the index of the current articles, and of
*N* synthetic articles generated here (an action on a token on a network: a title and
``--examples`` example questions in zh, en and es each), with the real model, as
Publish builds it (``build_records``); then the synthetic ones again with every vector
already made (what a publish after the first costs); wall and CPU time, and a profile
on request.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common.settings import kb_settings, service_settings
from faq_kb.embedder import SentenceTransformerEmbedder
from faq_kb.records import read_dir
from faq_kb.scoring import best_two, fuse
from faq_kb.versions import build_records
from handoff.kb_publish import NEGATIVES


def served(runs: int) -> None:
    import os

    os.environ["KB_POLL_SECONDS"] = "2"
    from handoff.knowledge import Knowledge
    from store import kb as kb_store
    from store import make_engine, session_factory
    from tests.support.kb_swap import action_servers, ask

    with tempfile.TemporaryDirectory() as tmp, action_servers(Path(tmp), 1) as running:
        processes, url, index_dir = running
        [actions] = processes
        database = session_factory(make_engine(url))
        settings = kb_settings().copy(update={"index_dir": index_dir})
        knowledge = Knowledge(database, settings, service_settings())
        knowledge.seed()
        knowledge.publisher.embedder()  # loaded once, as in a gateway that published before
        totals, builds = [], []
        for run in range(runs):
            marker = f"bench-marker-{run}"
            with database.begin() as db:
                article = kb_store.get_article(db, "service-hours")
                texts = dict(article.texts)
                texts["en"] = {**texts["en"], "answer": f"We answer around the clock ({marker})."}
                record = {"id": article.id, "topic": article.topic, "texts": texts}
                kb_store.update_article(db, record, article.version, "bench")
                live = kb_store.live_version(db)[0]
            started = time.perf_counter()
            revision = knowledge.publisher.start("bench", live)
            question = "what are your customer service hours"
            while not any(marker in t for t in ask(actions, question)):
                time.sleep(0.1)
            totals.append(time.perf_counter() - started)
            with database() as db:
                done = kb_store.get_revision(db, revision)
                builds.append((done.finished_at - done.created_at).total_seconds())
            print(f"run {run}: publish -> served {totals[-1]:.1f}s (build {builds[-1]:.1f}s)")
        print(
            f"publish -> served p50 {statistics.median(totals):.1f}s "
            f"(min {min(totals):.1f}, max {max(totals):.1f}); build p50 {statistics.median(builds):.1f}s"
        )


# Synthetic articles: an action on a token on a network, in three languages. Each
# (action, token, network) is one article, so no example question repeats across them.
ACTIONS = [
    ("send {t} on {n}", "在{n}上转{t}", "enviar {t} en {n}"),
    ("receive {t} on {n}", "在{n}上收{t}", "recibir {t} en {n}"),
    ("swap {t} on {n}", "在{n}上兑换{t}", "cambiar {t} en {n}"),
    ("stake {t} on {n}", "在{n}上质押{t}", "hacer staking de {t} en {n}"),
    ("withdraw {t} from {n}", "从{n}提取{t}", "retirar {t} de {n}"),
    ("buy {t} on {n}", "在{n}上买{t}", "comprar {t} en {n}"),
    ("sell {t} on {n}", "在{n}上卖{t}", "vender {t} en {n}"),
    ("bridge {t} to {n}", "把{t}跨链到{n}", "pasar {t} a {n}"),
    ("check the fee for {t} on {n}", "查看{n}上{t}的手续费", "ver la comisión de {t} en {n}"),
    (
        "cancel a pending {t} transfer on {n}",
        "取消{n}上待处理的{t}转账",
        "cancelar una transferencia pendiente de {t} en {n}",
    ),
]
TOKENS = ["USDT", "USDC", "ETH", "BTC", "TRX", "BNB", "DAI", "SOL", "MATIC", "SHIB"]
NETWORKS = ["Ethereum", "TRON", "BNB Chain", "Polygon", "Arbitrum", "Optimism", "Solana",
            "Avalanche", "Base", "Bitcoin"]  # fmt: skip
QUESTIONS = {
    "en": ["How do I {a}?", "I can't {a}, what should I do?", "Can this wallet {a}?",
           "What happens when I {a}?", "Why does it fail when I try to {a}?"],
    "zh": ["怎么{a}？", "我没法{a}，怎么办？", "这个钱包能{a}吗？", "{a}会怎么样？",
           "为什么{a}总是失败？"],
    "es": ["¿Cómo puedo {a}?", "No puedo {a}, ¿qué hago?", "¿Esta billetera permite {a}?",
           "¿Qué pasa si quiero {a}?", "¿Por qué falla cuando intento {a}?"],
}  # fmt: skip
ANSWERS = {
    "en": "To {a}, open the wallet, choose the asset and follow the steps; fees are shown first.",
    "zh": "要{a}，请打开钱包，选择资产并按步骤操作；手续费会先显示。",
    "es": "Para {a}, abre la billetera, elige el activo y sigue los pasos; verás la comisión antes.",
}


def synthetic(count: int, examples: int = 3) -> list[dict[str, object]]:
    """*count* articles (at most 1,000), each a title and *examples* example questions
    (at most 5) per language."""
    combos = [(a, t, n) for a in ACTIONS for t in TOKENS for n in NETWORKS]
    records: list[dict[str, object]] = []
    for number, (action, token, network) in enumerate(combos[:count]):
        texts = {}
        for index, lang in enumerate(("en", "zh", "es")):
            phrase = action[index].format(t=token, n=network)
            texts[lang] = {
                "title": phrase[0].upper() + phrase[1:],
                "questions": [q.format(a=phrase) for q in QUESTIONS[lang][:examples]],
                "answer": ANSWERS[lang].format(a=phrase),
            }
        records.append({"id": f"synthetic-{number}", "topic": "general", "texts": texts})
    return records


class Remembering:
    """The model, with every vector it made kept: a build after the first embeds
    nothing, as a publish after the first embeds only the edited texts (the gateway
    keeps the vectors, handoff.kb_publish)."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner, self.dimension, self.name = inner, inner.dimension, inner.name
        self.vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if new:
            self.vectors.update(zip(new, self.inner.encode(new), strict=True))
        return np.ascontiguousarray(
            np.stack([self.vectors[t] for t in texts]).reshape(len(texts), self.dimension),
            dtype=np.float32,
        )


def build(count: int, examples: int, current: bool, profile: bool) -> None:
    settings = kb_settings()
    started = time.perf_counter()
    embedder = Remembering(SentenceTransformerEmbedder(settings.resolved_model_path(), threads=1))
    print(f"model loaded in {time.perf_counter() - started:.1f}s")
    synthetics = synthetic(count, examples)
    cases = [
        (f"{count} synthetic articles", synthetics),
        (f"{count} synthetic articles again, every vector known", synthetics),
    ]
    if current:
        cases.insert(0, ("current KB", read_dir(settings.articles_dir)))
    for name, records in cases:
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        index = build_records(records, embedder, NEGATIVES, settings.resolved_model_path())
        if profiler is not None:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"{name}: {len(index.articles)} articles, {len(index.entries)} entries, "
            f"{elapsed:.1f}s wall, {cpu:.1f}s CPU"
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def ranking(count: int, examples: int, sample: int = 400) -> None:
    """The build's leave-one-out ranking alone, for the synthetic articles' entries: one
    query at a time (``fuse``, as builds did) on *sample* queries, and all at once
    (``best_two``). Random similarities: the cost does not depend on the values."""
    texts, owners = [], []
    for record in synthetic(count, examples):
        texts_of = cast(dict[str, dict[str, Any]], record["texts"])
        for text in texts_of.values():
            for line in (text["title"], *text["questions"]):
                texts.append(line)
                owners.append(str(record["id"]))
    rng = np.random.default_rng(18)
    dense = rng.random((len(texts), len(texts)), dtype=np.float32)
    lexical = rng.random((len(texts), len(texts)), dtype=np.float32)
    cpu = time.process_time()
    for i in range(sample):
        fuse(texts[i], dense[i], lexical[i], owners)
    each = (time.process_time() - cpu) / sample
    cpu = time.process_time()
    best_two(texts, dense, lexical, owners)
    print(
        f"{len(texts)} entries: one query at a time {each * 1000:.1f} ms CPU each "
        f"({each * len(texts):.0f} s for all); all at once {time.process_time() - cpu:.1f} s CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["served", "build", "ranking"])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--synthetic", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=3, help="per language and article")
    parser.add_argument("--no-current", action="store_true", help="only the synthetic articles")
    parser.add_argument("--profile", action="store_true", help="cProfile each build")
    args = parser.parse_args()
    if args.what == "served":
        served(args.runs)
    elif args.what == "ranking":
        ranking(args.synthetic, args.examples)
    else:
        build(args.synthetic, args.examples, not args.no_current, args.profile)


if __name__ == "__main__":
    main()
