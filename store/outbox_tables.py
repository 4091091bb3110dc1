"""The event outbox's table. Kept apart from :mod:`store.models`; ``store/__init__``
imports this module so that its table is on ``Base`` wherever the models are."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String

from common.clock import utcnow
from store.models import Base, UtcDateTime


class OutboxEvent(Base):
    """A live event for consoles or chat pages, written in the transaction that stores
    what it announces (the transactional outbox, see :mod:`store.event_outbox`).

    ``sent_at`` is set once the event is on its way to every gateway (published on
    Redis, or delivered in-process when there is no Redis). A row still unsent whose
    ``holder`` has died is published by a surviving gateway.
    """

    __tablename__ = "handoff_event_outbox"

    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic = Column(String(200), nullable=False)
    event = Column(JSON, nullable=False)
    holder = Column(String(100), nullable=False)  # the process that wrote it
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    sent_at = Column(UtcDateTime(), nullable=True)

    __table_args__ = (
        # Only unsent rows are looked for: a partial index stays as small as they are.
        Index(
            "ix_handoff_event_outbox_unsent",
            "created_at",
            postgresql_where=sent_at.is_(None),
            sqlite_where=sent_at.is_(None),
        ),
        Index("ix_handoff_event_outbox_sent", "sent_at"),
    )
