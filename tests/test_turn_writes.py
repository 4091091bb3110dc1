"""The rows a turn writes by plain statements (no unit-of-work flush): what is stored is
what the session holds, and the rows behave in the transaction as loaded ones.

See docs/benchmarks.md, "The gateway's CPU per web chat turn"."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from store import conversations, event_outbox, messages, outcomes, turns
from store.db import make_engine, migrate, session_factory
from store.models import Conversation, Message
from store.outbox_tables import OutboxEvent


@pytest.fixture
def database(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def test_a_message_is_stored_and_held_by_the_session_as_loaded(
    database: sessionmaker[Session],
) -> None:
    with database.begin() as db:
        conversation, _, _ = conversations.for_message(db, "webchat:v1", "webchat", "en")
        said = messages.add_message(
            db, conversation.id, "user", "hi", pending=True, handler="me", checked=True
        )
        reply = messages.add_message(
            db, conversation.id, "bot", "hello", buttons=[{"title": "Yes", "payload": "/y"}]
        )
        # Nothing left for a flush to write, and a look-up finds the same objects.
        assert not db.new and not db.dirty
        assert db.get(Message, said.id) is said and reply.id > said.id
        said.text = "hi there"  # a change to it is written like a loaded row's
    with database() as db:
        stored = db.execute(select(Message).order_by(Message.id)).scalars().all()
        assert [(m.id, m.author, m.text) for m in stored] == [
            (said.id, "user", "hi there"),
            (reply.id, "bot", "hello"),
        ]
        first, second = stored
        assert (first.pending, first.handler, first.kind, first.attempts) == (
            True,
            "me",
            "message",
            0,
        )
        assert second.buttons == [{"title": "Yes", "payload": "/y"}] and second.handler is None
        assert abs(first.created_at - said.created_at) < timedelta(milliseconds=1)
        assert first.created_at.tzinfo is not None


def test_the_conversation_and_the_turn_are_updated_in_place(
    database: sessionmaker[Session],
) -> None:
    now = utcnow()
    with database.begin() as db:
        conversation, _, _ = conversations.for_message(db, "webchat:v2", "webchat", "en")
        conversation.sent_since_inbound = 3
        db.flush()
        said = messages.add_message(db, conversation.id, "user", "hi", pending=True, checked=True)
        conversations.user_wrote(db, conversation.id, now)
        # The loaded row says what the table says.
        assert (conversation.last_inbound_at, conversation.sent_since_inbound) == (now, 0)
        outcomes.record(db, conversation.id, "answer", now)
        assert turns.finish_turn(db, said.id) and not turns.finish_turn(db, said.id)
    with database() as db:
        stored = db.get(Conversation, "webchat:v2")
        assert stored is not None and stored.sent_since_inbound == 0
        assert abs(stored.last_inbound_at - now) < timedelta(milliseconds=1)
        assert db.get(Message, said.id).pending is False  # type: ignore[union-attr]


def test_an_outbox_event_has_its_id_at_once_and_only_if_committed(
    database: sessionmaker[Session],
) -> None:
    with pytest.raises(RuntimeError), database.begin() as db:
        event_outbox.record(db, "desk", {"type": "queue"}, "me")
        raise RuntimeError("the transaction fails")
    with database.begin() as db:
        row = event_outbox.record(db, "desk", {"type": "queue", "n": 1}, "me")
        assert row.id is not None and db.get(OutboxEvent, row.id) is row
    with database() as db:
        kept = db.execute(select(OutboxEvent)).scalars().all()
        assert [(r.id, r.event, r.sent_at) for r in kept] == [
            (row.id, {"type": "queue", "n": 1}, None)
        ]


def test_httpcore_finds_sniffio() -> None:
    # httpcore imports sniffio on every request under asyncio; missing, each import
    # searched sys.path and failed (3% of the gateway's CPU per turn).
    assert importlib.util.find_spec("sniffio") is not None
