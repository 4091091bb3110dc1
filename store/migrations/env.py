"""Alembic environment: runs on the connection handed over by ``store.db.migrate``
(``python -m handoff migrate``), or on ``DATABASE_URL`` when Alembic's own CLI is
pointed at this folder."""

from alembic import context

import store.canned  # noqa: F401  (declares its table on Base)
from store.db import make_engine
from store.models import Base

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    with make_engine().begin() as conn:
        _run(conn)
