"""Reads run together (store.snapshot, the Analytics page's queries): on PostgreSQL each
on a connection of its own that sees exactly what the caller's transaction saw, even
when a row is committed meanwhile; on SQLite one after another in the caller's."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from store.db import make_engine, migrate, session_factory
from store.models import Conversation
from store.snapshot import read_together


def _count(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Conversation)).scalar_one())


def test_every_read_sees_the_callers_snapshot(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    database = session_factory(engine)
    with database.begin() as db:
        db.add(Conversation(id="webchat:before", channel="webchat", language="en"))
    postgres = engine.dialect.name == "postgresql"
    committed = threading.Event()

    def add_then_count(db: Session) -> int:
        # Another transaction commits a conversation after the snapshot was taken.
        if postgres:
            with database.begin() as other:
                other.add(Conversation(id="webchat:after", channel="webchat", language="en"))
            committed.set()
        return _count(db)

    def backend(db: Session) -> int:
        return int(db.execute(text("SELECT pg_backend_pid()")).scalar_one()) if postgres else 0

    prepared: list[int] = []
    with database() as db:
        db.execute(select(1))  # the caller's transaction has begun
        counts = read_together(
            db,
            [add_then_count, _count, backend, backend],
            setup=lambda s: prepared.append(1),
        )
        caller = backend(db)
    assert counts[:2] == [1, 1]
    assert len(prepared) == (4 if postgres else 1)  # each session readied once
    if postgres:
        assert committed.is_set()
        # Connections of their own (the two may share one, one after the other).
        assert caller not in counts[2:]
    with database() as db:
        assert _count(db) == (2 if postgres else 1)
    engine.dispose()
