"""Email's tables: threads and the ``Message-ID``s that belong to them. Kept apart from
:mod:`store.models`; ``store/__init__`` imports this module so that its tables are on
``Base`` wherever the models are."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String

from common.clock import utcnow
from store.models import Base, UtcDateTime


class EmailThread(Base):
    """An email thread: one desk conversation (``email:<id>``) with one sender."""

    __tablename__ = "email_threads"

    id = Column(Integer, primary_key=True)
    address = Column(String(320), nullable=False)  # the sender: only they continue it
    subject = Column(String(300), nullable=False, default="")
    # The newest message of the thread either side sent: replies answer it.
    last_message_id = Column(String(300), nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_email_threads_address", "address"),)


class EmailMessageId(Base):
    """Every ``Message-ID`` seen or sent, and its thread: how replies find their thread."""

    __tablename__ = "email_message_ids"

    message_id = Column(String(300), primary_key=True)
    thread_id = Column(Integer, ForeignKey("email_threads.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
