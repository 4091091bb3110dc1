"""On SQLite, a reader (store.read_sessions) doesn't queue for the write lock.

Seen in CI under load: every console request checks its token in a transaction, and
each took SQLite's one write lock (BEGIN IMMEDIATE) for that read; behind a slow
writer they waited out the busy timeout and answered 500 "database is locked".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from store import make_engine, read_sessions, session_factory


def test_a_reader_reads_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    try:
        with session_factory(engine).begin() as db:
            db.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
            db.execute(text("INSERT INTO notes (body) VALUES ('kept')"))
        with session_factory(engine).begin() as writer:
            writer.execute(text("INSERT INTO notes (body) VALUES ('not yet committed')"))
            with read_sessions(engine)() as reader:
                seen = reader.execute(text("SELECT body FROM notes ORDER BY id")).scalars()
                assert list(seen) == ["kept"]  # the committed snapshot, at once
    finally:
        engine.dispose()


def test_a_second_writer_still_waits_for_the_first(tmp_path: Path) -> None:
    """What read_sessions leaves as it was: writers take the lock up front."""
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    try:
        with session_factory(engine).begin() as db:
            db.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        with session_factory(engine).begin() as writer:
            writer.execute(text("INSERT INTO notes (body) VALUES ('first')"))
            # BEGIN IMMEDIATE itself waits out the busy timeout, then gives up.
            with pytest.raises(OperationalError, match="locked"), other.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
        other.dispose()
