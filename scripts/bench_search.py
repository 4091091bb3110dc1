"""Search latency (store/search.py) over synthetic messages: PostgreSQL and SQLite FTS5.

Each database is new and dropped afterwards (PostgreSQL: a database of its own on
the server, never the tests' ``test``; SQLite: a temporary file). The schema is
migrated to 0006, the rows are bulk-loaded (COPY / executemany), then migration 0007
builds the search indexes from them (its backfill, timed). Each query runs warm, as
the endpoint runs it: parse, the hits of one page (20), their sessions. Prints Markdown.

    .venv/bin/python scripts/bench_search.py [--pg-messages 1000000] [--sqlite-messages 100000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import search
from store.db import MIGRATIONS, make_engine, session_factory

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
PER_CONVERSATION = 20
ROUNDS = 15
START = datetime(2026, 1, 1, tzinfo=timezone.utc)

EN = [
    "my withdrawal is stuck pending since {day}",
    "I sent {amount} USDT to {address} but it never arrived",
    "tx hash {hash}",
    "how do I export my transaction history",
    "the app says network error when I try to {verb}",
    "I forgot my password, can I still {verb}?",
    "the seller never delivered after I paid {amount}",
]
ZH = [
    "我的USDT转账{n}天了还没到账",
    "提现一直显示处理中",
    "哈希是 {hash}",
    "收款地址 {address}",
    "怎么导出交易记录",
    "转账失败，手续费被扣了",
    "卖家收了{amount}不发货",
]
ES = ["mi retiro sigue pendiente desde el {day}", "envié {amount} a {address}", "hash {hash}"]
BOT = ["Which network did you use?", "请提供交易哈希", "Thanks, an agent will check.", "bot: {0}"]
VERBS = ["swap", "stake", "withdraw", "bridge", "log in", "export"]
DAYS = ["Monday", "Tuesday", "yesterday", "last week", "lunes"]


def fill(template: str, rng: random.Random, said: str = "") -> str:
    return template.format(
        said,
        day=rng.choice(DAYS),
        amount=f"{rng.randint(1, 5000)} USDT",
        address="T"
        + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789", k=33)),
        hash="0x" + rng.getrandbits(256).to_bytes(32, "big").hex(),
        verb=rng.choice(VERBS),
        n=rng.randint(1, 9),
    )


def rows(total: int, seed: int = 7) -> Iterator[tuple[str, list[tuple[Any, ...]], tuple[Any, ...]]]:
    """(conversation id, its messages, its session) for *total* messages."""
    rng = random.Random(seed)
    for number in range(total // PER_CONVERSATION):
        conversation = f"webchat:v{number:08d}"
        language = rng.choice(("en", "en", "zh", "zh", "es"))
        user = {"en": EN, "zh": ZH, "es": ES}[language]
        at = START + timedelta(minutes=number)
        messages: list[tuple[Any, ...]] = []
        said = ""
        for turn in range(PER_CONVERSATION):
            moment = at + timedelta(seconds=turn)
            if turn % 2 == 0:
                said = fill(rng.choice(user), rng)
                messages.append((conversation, "user", said, moment))
            else:
                messages.append((conversation, "bot", fill(rng.choice(BOT), rng, said), moment))
        yield conversation, messages, (conversation, language, at)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def migrate_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def payload(conversation: str, language: str, at: datetime) -> str:
    return json.dumps(
        {
            "conversation_id": conversation,
            "reason": "user_request",
            "priority": "normal",
            "language": language,
            "summary": "asked for a human",
            "details": {},
            "transcript": [],
            "created_at": at.isoformat(),
        }
    )


def load_postgres(engine: Engine, total: int) -> dict[str, str]:
    """COPY the rows in; returns sample values to search for."""
    samples: dict[str, str] = {}
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        conversations, sessions, messages = io.StringIO(), io.StringIO(), io.StringIO()
        for conversation, said, (_, language, at) in rows(total):
            conversations.write(f"{conversation}\twebchat\t{language}\t{at.isoformat()}\t0\n")
            body = payload(conversation, language, at).replace("\\", "\\\\")
            sessions.write(
                f"{conversation}\t{body}\t{uuid.uuid4().hex}\tuser_request\tnormal\t"
                f"{language}\tqueued\tticket\t{at.isoformat()}\n"
            )
            for conv, author, text, moment in said:
                clean = text.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")
                messages.write(f"{conv}\t{author}\tmessage\t{clean}\t{moment.isoformat()}\tf\t0\n")
                for word in text.split():
                    if word.startswith("0x") and "hash" not in samples:
                        samples["hash"] = word
                    if word.startswith("T") and len(word) == 34:
                        samples["address"] = word
            samples["user"] = conversation.partition(":")[2]
        for table, columns, data in (
            (
                "handoff_conversations",
                "id, channel, language, created_at, sent_since_inbound",
                conversations,
            ),
            (
                "handoff_sessions",
                "conversation_id, payload, payload_key, reason, priority, "
                "language, state, kind, queued_at",
                sessions,
            ),
            (
                "handoff_messages",
                "conversation_id, author, kind, text, created_at, pending, attempts",
                messages,
            ),
        ):
            data.seek(0)
            cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", data)
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return samples


def naive(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(engine: Engine, total: int) -> dict[str, str]:
    samples: dict[str, str] = {}
    with engine.begin() as connection:
        for conversation, said, (_, language, at) in rows(total):
            connection.exec_driver_sql(
                "INSERT INTO handoff_conversations (id, channel, language, created_at, "
                "sent_since_inbound) VALUES (?, 'webchat', ?, ?, 0)",
                (conversation, language, naive(at)),
            )
            connection.exec_driver_sql(
                "INSERT INTO handoff_sessions (conversation_id, payload, payload_key, reason, "
                "priority, language, state, kind, queued_at) "
                "VALUES (?, ?, ?, 'user_request', 'normal', ?, 'queued', 'ticket', ?)",
                (
                    conversation,
                    payload(conversation, language, at),
                    uuid.uuid4().hex,
                    language,
                    naive(at),
                ),
            )
            connection.exec_driver_sql(
                "INSERT INTO handoff_messages (conversation_id, author, kind, text, created_at, "
                "pending, attempts) VALUES (?, ?, 'message', ?, ?, 0, 0)",
                [(c, a, t, naive(m)) for c, a, t, m in said],
            )
            for _, _, text, _ in said:
                for word in text.split():
                    if word.startswith("0x") and "hash" not in samples:
                        samples["hash"] = word
                    if word.startswith("T") and len(word) == 34:
                        samples["address"] = word
            samples["user"] = conversation.partition(":")[2]
    return samples


def queries(samples: dict[str, str]) -> dict[str, str]:
    return {
        "tx hash (whole)": samples["hash"],
        "tx hash (12 chars of it)": samples["hash"][20:32],
        "TRON address": samples["address"],
        "ticket number": "T-001234",
        "user id": samples["user"],
        "English, 1 common word": "withdrawal",
        "English, 2 words": "export history",
        "Chinese, 3+ characters": "没到账",
        "Chinese, 2 characters": "提现",
        "nothing matches": "zebra quasar",
        "Chinese, 2 characters, in no message": "钱包",
        "English, 2 letters, in no message": "zq",
        "English, 2 letters, in 1 message of 3": "my",
    }


def measure(engine: Engine, asked: dict[str, str]) -> dict[str, list[float]]:
    database = session_factory(engine)
    timings: dict[str, list[float]] = {name: [] for name in asked}
    for _ in range(ROUNDS + 1):  # the first round warms the caches and is dropped
        for name, q in asked.items():
            with database() as db:
                began = time.perf_counter()
                hits = search.search(db, search.parse(q), 21, 0)
                search.channels(db, hits)
                timings[name].append((time.perf_counter() - began) * 1000)
    return {name: values[1:] for name, values in timings.items()}


def report(title: str, loaded: float, indexed: float, timings: dict[str, list[float]]) -> None:
    every = [v for values in timings.values() for v in values]
    print(f"\n### {title}\n")
    print(
        f"load {loaded:.0f} s, migration 0007 (index build) {indexed:.0f} s; "
        f"{ROUNDS} warm runs per query, one page (20 hits)\n"
    )
    print("| query | p50 ms | p95 ms |\n|---|---:|---:|")
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values):.1f} | {pct(values, 0.95):.1f} |")
    print(f"| **all** | **{statistics.median(every):.1f}** | **{pct(every, 0.95):.1f}** |")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    name = f"bench_search_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def bench(url: str, total: int, title: str) -> None:
    engine = make_engine(url)
    try:
        migrate_to(engine, "0006")
        began = time.perf_counter()
        load = load_postgres if engine.dialect.name == "postgresql" else load_sqlite
        samples = load(engine, total)
        loaded = time.perf_counter() - began
        began = time.perf_counter()
        migrate_to(engine, "head")
        if engine.dialect.name == "postgresql":
            with engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE handoff_messages")
        indexed = time.perf_counter() - began
        report(title, loaded, indexed, measure(engine, queries(samples)))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-messages", type=int, default=1_000_000)
    parser.add_argument("--sqlite-messages", type=int, default=100_000)
    args = parser.parse_args()
    if args.sqlite_messages:
        with tempfile.TemporaryDirectory() as work:
            url = f"sqlite:///{Path(work) / 'bench.db'}"
            bench(url, args.sqlite_messages, f"SQLite FTS5, {args.sqlite_messages:,} messages")
    if args.pg_messages:
        with postgres_database() as url:
            bench(url, args.pg_messages, f"PostgreSQL, {args.pg_messages:,} messages")


if __name__ == "__main__":
    main()
