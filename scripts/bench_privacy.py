"""Data rights at volume: erase one end user with many messages, and the retention
purge of many idle conversations, on PostgreSQL (a fresh schema) or SQLite.

    python scripts/bench_privacy.py [--sqlite] [--conversations 2000] [--messages 10]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from common.clock import utcnow
from handoff.privacy import Privacy
from store.db import make_engine, migrate, session_factory
from store.models import Conversation, Message
from store.trackers import Trackers


@contextlib.contextmanager
def database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/desk.db"
        return
    from tests.support.services import fresh_schema

    with fresh_schema("bench") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--user-messages", type=int, default=5000)
    args = parser.parse_args()
    with database(args.sqlite) as url:
        engine = make_engine(url)
        migrate(engine)
        sessions = session_factory(engine)
        old = utcnow() - timedelta(days=100)
        with sessions.begin() as db:
            ids = [f"webchat:idle-{i}" for i in range(args.conversations)] + ["telegram:big"]
            db.execute(
                insert(Conversation),
                [{"id": c, "channel": c.split(":")[0], "created_at": old} for c in ids],
            )
            rows = [
                {
                    "conversation_id": c,
                    "author": "user",
                    "text": f"message {n} of {c}",
                    "created_at": old,
                }
                for c in ids[:-1]
                for n in range(args.messages)
            ]
            rows += [
                {
                    "conversation_id": "telegram:big",
                    "author": "user",
                    "text": f"big {n}",
                    "created_at": utcnow(),
                }
                for n in range(args.user_messages)
            ]
            db.execute(insert(Message), rows)
        privacy = Privacy(sessions, Trackers(f"sqlite:///{tempfile.gettempdir()}/no-tracker.db"))
        started = time.perf_counter()
        gone = privacy.erase("big")
        erase = time.perf_counter() - started
        started = time.perf_counter()
        purged = privacy.purge(utcnow() - timedelta(days=30))
        purge = time.perf_counter() - started
        engine.dispose()
    kind = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"{kind}: erase of one user with {gone['messages']} messages: {erase:.2f} s")
    print(
        f"{kind}: retention purge of {purged} conversations x {args.messages} messages: "
        f"{purge:.2f} s ({purged / purge:.0f} conversations/s)"
    )


if __name__ == "__main__":
    main()
