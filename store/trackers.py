"""Rasa's tracker store, read and erased for one sender (data rights, retention).

Rasa keeps every conversation's events in its SQL tracker store: a table ``events``
with a ``sender_id`` column (``rasa.core.tracker_store.SQLTrackerStore``), where the
sender id is the desk's conversation id (``channel:user``). Where it lives follows the
endpoints files: the production profile (``endpoints.production.yml``, chosen when
``DATABASE_URL`` is PostgreSQL, see ``bot/endpoints.py``) puts it in the desk's own
database; the embedded one (``endpoints.yml``) in the SQLite file ``RASA_TRACKER_DB``.
``DESK_TRACKER_URL`` overrides both (a tracker store on another server).

Rasa keeps a conversation's tracker between turns (``bot/tracker_cache.py``) but checks
the sender's row count and highest id first, so rows deleted here are gone for the bot
too: the next message starts a new conversation.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    inspect,
    select,
)
from sqlalchemy.engine import Engine

from common.settings import ROOT

TABLE = "events"  # SQLTrackerStore.SQLEvent.__tablename__
EVENTS = Table(
    TABLE,
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_url(database_url: str, environ: Mapping[str, str] = os.environ) -> str:
    """Where Rasa keeps its trackers, as the endpoints files configure it."""
    if environ.get("DESK_TRACKER_URL"):
        return environ["DESK_TRACKER_URL"]
    if database_url.startswith("postgresql"):
        return database_url
    path = environ.get("RASA_TRACKER_DB") or str(ROOT / "var" / "rasa_tracker.db")
    return f"sqlite:///{path}"


class Trackers:
    """Rasa's ``events`` table at *url*; a store that does not exist (yet) has nothing."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None

    def _table(self) -> Engine | None:
        if self.url.startswith("sqlite:///"):
            path = self.url.removeprefix("sqlite:///")
            if ":memory:" not in path and not os.path.exists(path):
                return None  # never create Rasa's file for it
        if self._engine is None:
            # Rasa's database, not ours: none of the desk's pragmas or pools on it.
            sqlite = {"connect_args": {"timeout": 10}} if self.url.startswith("sqlite") else {}
            self._engine = create_engine(self.url, future=True, pool_pre_ping=True, **sqlite)
        return self._engine if inspect(self._engine).has_table(TABLE) else None

    def events(self, sender_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        """Each sender's events as Rasa stored them, oldest first."""
        engine, senders = self._table(), list(sender_ids)
        found: dict[str, list[dict[str, Any]]] = {}
        if engine is None or not senders:
            return found
        query = (
            select(EVENTS.c.sender_id, EVENTS.c.data)
            .where(EVENTS.c.sender_id.in_(senders))
            .order_by(EVENTS.c.id)
        )
        with engine.connect() as connection:
            for sender, data in connection.execute(query):
                found.setdefault(sender, []).append(_parsed(data))
        return found

    def erase(self, sender_ids: Iterable[str]) -> int:
        """Delete every event of these senders; how many rows went."""
        engine, senders = self._table(), list(sender_ids)
        if engine is None or not senders:
            return 0
        with engine.begin() as connection:
            result = connection.execute(delete(EVENTS).where(EVENTS.c.sender_id.in_(senders)))
        return int(result.rowcount or 0)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _parsed(data: str | None) -> dict[str, Any]:
    try:
        value = json.loads(data or "{}")
    except ValueError:
        return {"raw": data}
    return value if isinstance(value, dict) else {"raw": value}
