"""The transactional outbox of live events (``handoff_event_outbox``).

An event for consoles or chat pages is a row written in the same transaction as the
message or state change it announces: it exists if and only if that change was
committed. The writing process publishes it right after the commit and marks it
sent; a process killed in between leaves it unsent, and once that process's
liveness lease has lapsed another one publishes it (see ``handoff.relay``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, literal, or_, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from common.clock import utcnow
from store.leases import ALIVE
from store.models import Lease
from store.outbox_tables import OutboxEvent

_INSERT = insert(OutboxEvent.__table__)


def record(db: Session, topic: str, event: dict[str, Any], holder: str) -> OutboxEvent:
    """Write *event* for *topic* in the transaction: one plain INSERT, whose id comes
    back with it (``RETURNING`` on PostgreSQL), and the row joins the session as if
    loaded. Not a new row for the session's unit of work: its flush at the commit cost
    more CPU than the statement."""
    values = {
        "topic": topic,
        "event": event,
        "holder": holder,
        "created_at": utcnow(),
        "sent_at": None,
    }
    row = OutboxEvent(id=db.execute(_INSERT, values).inserted_primary_key[0], **values)
    make_transient_to_detached(row)
    db.add(row)
    return row


def mark_sent(db: Session, ids: Iterable[int], now: datetime) -> int:
    chosen = sorted(set(ids))
    if not chosen:
        return 0
    result = db.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(chosen), OutboxEvent.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def orphans(
    db: Session, now: datetime, settle: timedelta, within: timedelta, limit: int = 500
) -> list[tuple[int, str, dict[str, Any]]]:
    """Unsent events whose writer is gone: its liveness lease has lapsed (or never was).

    *settle*: younger rows are left to their writer, which publishes within
    milliseconds of its commit. Rows older than *within* are not worth a push: every
    page and console has re-read the history since. Oldest first (pages show them in
    id order anyway).
    """
    alive = (
        select(Lease.name)
        .where(Lease.name == literal(ALIVE) + OutboxEvent.holder, Lease.expires_at > now)
        .exists()
    )
    rows = db.execute(
        select(OutboxEvent.id, OutboxEvent.topic, OutboxEvent.event)
        .where(
            OutboxEvent.sent_at.is_(None),
            OutboxEvent.created_at < now - settle,
            OutboxEvent.created_at > now - within,
            ~alive,
        )
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return [(int(i), str(t), dict(e)) for i, t, e in rows]


def prune(db: Session, sent_before: datetime, written_before: datetime) -> int:
    """Forget events sent before *sent_before*, and any (even unsent) written before
    *written_before*: by then every client has re-read the history they announce."""
    result = db.execute(
        delete(OutboxEvent)
        .where(or_(OutboxEvent.sent_at < sent_before, OutboxEvent.created_at < written_before))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
