"""Content gaps benchmark (docs/benchmarks.md, issue 18): grouping 10,000 recorded
misses for the Gaps page, with the knowledge base's encoder on one torch thread.
Prints Markdown.

    .venv/bin/python scripts/bench_gaps.py [--messages 10000] [--url sqlite:///…]

It creates a SQLite desk of its own (or uses ``--url``, e.g. a PostgreSQL database
that may be emptied), migrated to head, and records synthetic misses spread over the
last 30 days: about 300 topics (a coin and something to do with it) asked in
Chinese, English and Spanish, each in several wordings, with a greeting or an amount
around it so that nearly every message is a text of its own. Then it asks for the 30-day
groups three times, as the page does (``handoff.gaps.Gaps.report``):

1. cold: nothing embedded yet, every message is (and its vector stored);
2. the same gaps again: the groups shown before are reused;
3. after 100 new misses, as a new process: the 10,000 vectors are read from the
   database, the 100 new messages embedded, and the 10,100 grouped again: what a
   reload costs on a live desk.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
from sklearn.metrics import adjusted_rand_score
from sqlalchemy import insert, update

from common.clock import utcnow
from common.settings import kb_settings, service_settings
from faq_kb.embedder import SentenceTransformerEmbedder
from gateway.app import GAPS_VECTOR_SECONDS
from handoff import gap_clusters
from handoff.gaps import Gaps
from handoff.knowledge import Knowledge
from store.db import make_engine, migrate, session_factory
from store.gaps import GapEntry, open_gaps, unembedded
from store.models import Conversation, Message

COINS = [
    "BTC",
    "ETH",
    "USDT",
    "USDC",
    "TRX",
    "SOL",
    "DOT",
    "ATOM",
    "ADA",
    "AVAX",
    "MATIC",
    "BNB",
    "XRP",
    "DOGE",
    "LTC",
    "ARB",
    "OP",
    "TON",
]
ACTIONS = {
    "stake": ("stake {c}", "质押{c}", "hacer staking de {c}"),
    "bridge": ("bridge {c} to another chain", "把{c}跨链", "pasar {c} a otra red"),
    "nft": ("see my {c} NFTs", "查看{c}上的NFT", "ver mis NFT de {c}"),
    "limit": (
        "raise the {c} withdrawal limit",
        "提高{c}提现额度",
        "subir el límite de retiro de {c}",
    ),
    "airdrop": ("claim the {c} airdrop", "领取{c}空投", "reclamar el airdrop de {c}"),
    "ledger": ("connect a Ledger for {c}", "用Ledger管理{c}", "conectar un Ledger para {c}"),
    "price": ("set a {c} price alert", "设置{c}价格提醒", "poner una alerta de precio de {c}"),
    "memo": (
        "add a memo to a {c} transfer",
        "给{c}转账加备注",
        "añadir una nota a un envío de {c}",
    ),
    "gas": ("pay gas with {c}", "用{c}付矿工费", "pagar el gas con {c}"),
    "swap": ("swap {c} inside the app", "在钱包里兑换{c}", "cambiar {c} dentro de la app"),
    "tax": ("export a {c} tax report", "导出{c}税务报表", "exportar un informe fiscal de {c}"),
    "lend": ("lend out my {c}", "出借我的{c}", "prestar mis {c}"),
    "multisig": (
        "make a {c} multisig wallet",
        "创建{c}多签钱包",
        "crear una billetera multifirma de {c}",
    ),
    "recurring": (
        "set up a recurring {c} buy",
        "设置{c}定投",
        "programar compras periódicas de {c}",
    ),
    "testnet": ("use the {c} testnet", "使用{c}测试网", "usar la testnet de {c}"),
    "domain": (
        "send {c} to a domain name",
        "把{c}转到域名地址",
        "enviar {c} a un nombre de dominio",
    ),
}
WRAP = {
    "en": (
        "how do I {a}",
        "can I {a} here",
        "is it possible to {a}?",
        "I want to {a}",
        "{a} please",
    ),
    "zh": ("怎么{a}", "可以{a}吗", "我想{a}", "请问如何{a}", "钱包能{a}吗"),
    "es": ("¿cómo puedo {a}?", "quiero {a}", "¿se puede {a}?", "necesito {a}", "{a} por favor"),
}
# Said around the question, with an amount: real messages are rarely word for word the
# same, and the encoder remembers a text it has seen (a repeated text costs nothing).
AROUND = {
    "en": ("", "thanks", "urgent!", "pls help", "I tried twice", "the app is new", "hi,"),
    "zh": ("", "谢谢", "急！", "求助", "试了两次", "刚装的app", "你好，"),
    "es": ("", "gracias", "¡urgente!", "ayuda", "lo intenté dos veces", "app nueva", "hola,"),
}
AMOUNT = {"en": "I have {n} of it", "zh": "我有{n}个", "es": "tengo {n}"}
LANGUAGES = ("en", "zh", "es")


class Timed:
    """The real encoder, timed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.name, self.dimension, self.inner = inner.name, inner.dimension, inner
        self.seconds = 0.0
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        began = time.perf_counter()
        out = self.inner.encode(texts)
        self.seconds += time.perf_counter() - began
        self.texts += len(texts)
        return out


def misses(count: int, rng: random.Random) -> list[tuple[str, str, str]]:
    """(language, text, the group one would draw by hand: the thing to do and the
    language; the coin is a detail)."""
    topics = [(c, a) for c in COINS for a in ACTIONS]
    out = []
    for _ in range(count):
        coin, action = rng.choice(topics)
        language = rng.choice(LANGUAGES)
        phrase = ACTIONS[action][LANGUAGES.index(language)].format(c=coin)
        text = rng.choice(WRAP[language]).format(a=phrase)
        amount = AMOUNT[language].format(n=rng.randint(1, 5000))
        said = f"{rng.choice(AROUND[language])} {text} {amount}".strip()
        out.append((language, said, f"{action}/{language}"))
    return out


def record(url: str, rows: list[tuple[str, str, str]], start: int, days: float = 30) -> None:
    """Each miss in a conversation of its own, spread over the last *days* days."""
    now = utcnow()
    step = timedelta(days=days) / max(len(rows), 1)
    conversations, messages, entries = [], [], []
    for n, (language, text, _topic) in enumerate(rows, start):
        at = now - timedelta(days=days) + step * (n - start) + timedelta(seconds=1)
        cid = f"webchat:bench{n}"
        conversations.append({"id": cid, "channel": "webchat", "language": language, "created_at": at, "sent_since_inbound": 0})  # fmt: skip
        messages.append({"id": n + 1, "conversation_id": cid, "author": "user", "kind": "message", "text": text, "created_at": at, "pending": False, "attempts": 0})  # fmt: skip
        entries.append({"message_id": n + 1, "conversation_id": cid, "kind": "miss", "language": language, "channel": "webchat", "created_at": at})  # fmt: skip
    engine = make_engine(url)
    with session_factory(engine).begin() as db:
        db.execute(insert(Conversation), conversations)
        db.execute(insert(Message), messages)
        db.execute(insert(GapEntry), entries)
    engine.dispose()


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def drain(gaps: Gaps) -> tuple[int, float, float, float]:
    """The gaps_vectors job run back to back until nothing waits: (gaps, runs, wall s,
    CPU s)."""
    done, runs, began, cpu = 0, 0, time.perf_counter(), cpu_seconds()
    while made := gaps.embed_pending():
        done, runs = done + made, runs + 1
    return done, runs, time.perf_counter() - began, cpu_seconds() - cpu


def keep_up(url: str, gaps: Gaps, rng: random.Random, rate: float, seconds: float, at: int) -> None:
    """Misses recorded at *rate* a second for *seconds* while the job runs every
    GAPS_VECTOR_SECONDS, as the gateway runs it: how many wait before and after each run."""
    stop = threading.Event()

    def recorder() -> None:
        n = at
        while not stop.wait(1.0):
            batch = max(1, round(rate))
            record(url, misses(batch, rng), n, days=1 / 24)
            n += batch

    thread = threading.Thread(target=recorder, daemon=True)
    thread.start()
    waits, busy, cpu, ends = [], [], cpu_seconds(), time.monotonic() + seconds
    while time.monotonic() < ends:
        time.sleep(GAPS_VECTOR_SECONDS)
        with gaps.database() as db:
            waits.append(len(unembedded(db, 100_000)))
        began = time.perf_counter()
        gaps.embed_pending()
        busy.append(time.perf_counter() - began)
    stop.set()
    thread.join()
    with gaps.database() as db:
        left = len(unembedded(db, 100_000))
    print(
        f"\nRecording {rate:g} misses a second for {seconds:.0f} s, the job every "
        f"{GAPS_VECTOR_SECONDS} s: waiting at each run {waits}, after the last {left}; "
        f"each run took {', '.join(f'{b:.1f}' for b in busy)} s wall; "
        f"{cpu_seconds() - cpu:.1f} s CPU in all (recording included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--url", default="")
    parser.add_argument("--cold", action="store_true", help="also group before any job ran")
    parser.add_argument("--rate", type=float, default=5.0, help="misses a second, keep-up run")
    parser.add_argument("--seconds", type=float, default=60.0, help="of the keep-up run")
    args = parser.parse_args()
    rng = random.Random(18)
    workdir = tempfile.mkdtemp(prefix="bench-gaps-")
    url = args.url or f"sqlite:///{workdir}/desk.db"
    engine = make_engine(url)
    migrate(engine)
    rows = misses(args.messages, rng)
    record(url, rows, 0)
    settings = kb_settings().copy(update={"index_dir": Path(workdir) / "kb"})
    knowledge = Knowledge(session_factory(engine), settings, service_settings())
    knowledge.seed()  # the repository's articles: each group gets its nearest suggested
    began = time.perf_counter()
    model = Timed(SentenceTransformerEmbedder(settings.resolved_model_path(), threads=1))
    loaded = time.perf_counter() - began
    knowledge.publisher.use(model)
    gaps = Gaps(session_factory(engine), knowledge, utcnow)
    end, start = utcnow() + timedelta(hours=2), utcnow() - timedelta(days=31)

    print(f"{args.messages} misses; model loaded in {loaded:.1f} s; torch threads 1\n")
    print("| run | gaps | groups | wall s | CPU s | embedding s (texts) | the rest s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    runs = [("after the gaps_vectors job (every vector kept)", 0), ("same gaps again", 0)]
    runs.append(("after 100 new, as a new process", 100))
    if args.cold:
        runs.insert(0, ("cold: nothing embedded yet", 0))
    else:
        done, count, wall, cpu = drain(gaps)
    for name, extra in runs:
        if extra:
            record(url, misses(extra, rng), args.messages, days=1)
            knowledge.publisher.use(model)  # as a new process: no text remembered
        model.seconds, model.texts = 0.0, 0
        cpu_before = cpu_seconds()
        began = time.perf_counter()
        report = gaps.report(start, end)
        wall_s = time.perf_counter() - began
        used = cpu_seconds() - cpu_before
        sizes = [g["count"] for g in report["groups"]]
        grouping = wall_s - model.seconds  # read, n-grams, linkage, save, nearest articles
        print(
            f"| {name} | {report['total']} | {len(sizes)} | {wall_s:.1f} | {used:.1f} "
            f"| {model.seconds:.1f} ({model.texts}) | {grouping:.1f} |"
        )
        if name.startswith("cold"):
            knowledge.publisher.use(model)
            with gaps.database.begin() as db:  # as before any job ran
                db.execute(update(GapEntry).values(vector=None, vector_key=None))
            done, count, wall, cpu = drain(gaps)
    print(
        f"\nThe job's backlog: {done} gaps embedded in {count} runs (back to back), "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU ({1000 * cpu / max(done, 1):.1f} ms a gap)"
    )
    with gaps.database() as db:
        found = open_gaps(db, start, end)[: args.messages]
    truth = [topic for _, _, topic in rows]
    labels = gap_clusters.cluster([g.text for g in found], gaps.vectors(found))
    print(
        f"Grouping against the {len(set(truth))} groups drawn by hand: adjusted Rand index "
        f"{adjusted_rand_score(truth, labels):.3f}, "
        f"{len(set(labels))} groups; the biggest: "
        + "; ".join(f"{g['count']}: {g['samples'][0]['text']}" for g in report["groups"][:3])
    )
    print(f"Cuts: {gap_clusters.DISTANCE} (Latin), {gap_clusters.DISTANCE_HAN} (Chinese)")
    keep_up(url, gaps, rng, args.rate, args.seconds, args.messages + 100)
    engine.dispose()


if __name__ == "__main__":
    main()
