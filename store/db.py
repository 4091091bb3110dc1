"""The database engine and its sessions (SQLite by default, PostgreSQL by URL).

SQLAlchemy is pinned to 1.4 by Rasa; everything here uses the 2.0-style API
(``future=True``, ``select()``) so the move to 2.0 is a version bump.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from common.settings import ROOT

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
READ_ONLY = "support_read_only"
# A pooled connection idle this long is pinged before use. A turn checks out five
# connections or so; pinging each (pool_pre_ping) was a round trip apiece, while a
# connection that dropped within seconds of its last use fails only its own statement
# (and SQLAlchemy then replaces every connection the pool holds).
PING_AFTER_IDLE = 5.0


def database_url() -> str:
    """``DATABASE_URL``, or an SQLite file under ``var/``."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'support.db'}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs; SQLAlchemy emits
    # BEGIN itself instead (the documented pysqlite recipe).
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")  # wait for a writer instead of failing
    # WAL: readers don't block the writer, and a commit is not an fsync of the
    # whole journal (NORMAL is durable across application crashes; see SQLite docs).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A transaction that may write takes the write lock at once (IMMEDIATE): one that
    # read first and wrote later could find the lock taken and fail without waiting.
    # A reader (read_sessions) needs no lock: under WAL it sees a snapshot and
    # neither waits for the writer nor makes it wait.
    reading = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file databases a NullPool: a new connection, and its
        # PRAGMAs, for every transaction. Pooling them (2.0's default) is what the
        # gateway's overhead budget needs.
        pool = {"poolclass": QueuePool} if ":memory:" not in url else {}
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, future=True)
    event.listen(engine, "checkin", _idle_since)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


def _idle_since(_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dialect: Dialect, connection: Any, record: Any, _proxy: Any) -> None:
    """pool_pre_ping's check (the dialect's own ping), for a connection idle a while
    only: raising DisconnectionError makes the pool discard it and hand out another."""
    if time.monotonic() - record.info.get("idle_since", time.monotonic()) < PING_AFTER_IDLE:
        return
    try:
        alive = dialect.do_ping(connection)
    except Exception as exc:
        raise DisconnectionError("the pooled connection did not answer a ping") from exc
    if not alive:
        raise DisconnectionError("the pooled connection did not answer a ping")


def insert_new(db: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` into *table* (PostgreSQL and SQLite both have
    it): one round trip, where a SAVEPOINT around an INSERT that may fail takes three.
    The result's ``rowcount`` is 0 when the row was there already."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def commit_without_waiting(db: Session) -> None:
    """On PostgreSQL, this transaction's commit does not wait for its WAL to reach the
    disk (``SET LOCAL synchronous_commit TO OFF``): for writes whose loss in a crash of
    the database server costs only work done again, never a message (a "sent" mark).
    The database stays consistent; only the last fraction of a second may be lost."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))


@contextlib.contextmanager
def one_statement(db: Session) -> Iterator[Connection]:
    """*db*'s connection for a statement that commits on its own (PostgreSQL's
    autocommit): no ``BEGIN`` and ``COMMIT`` round trips around it. Set on the driver's
    connection rather than as SQLAlchemy's isolation level, whose reset when the
    connection goes back to the pool costs a round trip of its own. A connection that
    is in a transaction already (the pool's ping) runs it in that one; *db*'s commit
    ends it."""
    connection = db.connection()
    raw: Any = connection.connection.dbapi_connection
    idle = raw.info.transaction_status == 0  # psycopg2's TRANSACTION_STATUS_IDLE
    if idle:
        raw.autocommit = True
    try:
        yield connection
    finally:
        if idle:
            raw.autocommit = False
    db.commit()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, future=True, expire_on_commit=False)


def read_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reading only (the token check every console request makes): on
    SQLite they don't queue for the write lock behind the bot's turns. Writing
    through one is an error on SQLite when another writer got there first."""
    return sessionmaker(
        engine.execution_options(**{READ_ONLY: True}), future=True, expire_on_commit=False
    )


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (Alembic ``upgrade head``).

    On PostgreSQL an advisory lock makes concurrent starts run it once.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(735105)")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
