"""Independent read-only queries run at once, all on one PostgreSQL snapshot.

The Analytics page's queries need none of each other's results. On PostgreSQL each
group of them takes a connection of its own, every one importing the snapshot of the
caller's transaction (``pg_export_snapshot``): the figures agree with one another as
if one transaction had read them all, and the page takes as long as its longest query
rather than the sum of them (on a shared machine each backend gets its own share of the
CPU, too). Elsewhere (SQLite: one writer, no exported snapshots) the groups run one
after another in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

# Enough for a few pages asked for at once; a group waits for a thread beyond that.
_threads = ThreadPoolExecutor(max_workers=6, thread_name_prefix="snapshot")

Read = Callable[[Session], Any]


def read_together(db: Session, reads: Sequence[Read], setup: Read | None = None) -> list[Any]:
    """Each of *reads* called with a session that sees what *db* sees; their results in
    order. *setup* readies each session's transaction first (e.g. planner settings)."""
    engine = db.get_bind()
    if not isinstance(engine, Engine) or engine.dialect.name != "postgresql" or len(reads) < 2:
        if setup is not None:
            setup(db)
        return [read(db) for read in reads]
    # Held for as long as *db*'s transaction is open: it stays open until every read
    # has imported it (each waits below).
    snapshot = db.execute(text("SELECT pg_export_snapshot()")).scalar_one()

    def run(read: Read) -> Any:
        with Session(bind=engine, future=True) as helper:
            helper.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            helper.execute(text("SET TRANSACTION SNAPSHOT :id"), {"id": snapshot})
            if setup is not None:
                setup(helper)
            return read(helper)

    return [future.result() for future in [_threads.submit(run, read) for read in reads]]
