"""A turn's replies stored in one statement on PostgreSQL (``handoff.reply_rows.at_once``)
write what the outbox's transaction writes: the same messages, console events, page
pushes, outcome and end of the turn, and publish the same events after the commit.

See docs/benchmarks.md, "The gateway's round trips per turn"."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text

from common.clock import utcnow
from common.messages import OutboundMessage
from handoff.answering import answering
from handoff.relay import Recorded
from store.errors import NotFound
from tests.support.gateway import Gateway

REPLIES = [
    OutboundMessage(text="first", buttons=(("Yes", "/affirm"), ("No", "/deny"))),
    OutboundMessage(text="second"),
]


def _written(gateway: Gateway, one_statement: bool, handed_off: bool) -> dict[str, Any]:
    """A pending turn answered through the outbox, and everything it wrote."""
    outbox = gateway.parts.outbox
    visitor = gateway.visitor("en")
    assert gateway.say(visitor, "human" if handed_off else "hello").status_code == 200
    database = gateway.parts.inbox.database
    with database() as db:
        [(conversation,)] = db.execute(
            text(
                "SELECT conversation_id FROM handoff_messages WHERE author = 'user' "
                "ORDER BY id DESC LIMIT 1"
            )
        ).all()
    stored = gateway.parts.inbox.receive(conversation, "webchat", "en", "and?", pending=True)
    published: list[Recorded] = []
    outbox.relay.publish = published.extend  # type: ignore[method-assign]
    outbox._one_statement = one_statement
    statements: list[str] = []

    async def deliver() -> tuple[list[OutboundMessage], bool]:
        with answering(conversation, stored.message.id) as state:
            sent = await outbox.deliver(
                conversation, REPLIES, "bot", ends_turn=True, outcome=("answer", utcnow())
            )
        return sent, state.finished

    engine = database.kw["bind"]

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        sent, finished = asyncio.run(deliver())
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    ids = {stored.message.id: "turn"} | {m.id: f"reply{i}" for i, m in enumerate(sent)}

    def named(value: Any) -> Any:  # ids as what they are, times as present
        if isinstance(value, dict):
            return {
                k: (ids.get(v, v) if k in ("id", "reply_to") else named(v))
                for k, v in value.items()
                if k not in ("created_at", "session_id", "conversation_id")
            }
        return value

    with database() as db:
        messages = db.execute(
            text(
                "SELECT id, author, kind, text, buttons, attachment, delivery, delivery_error, "
                "agent_id, pending, handler, attempts, retry_at, reply_to "
                "FROM handoff_messages WHERE id > :after ORDER BY id"
            ),
            {"after": stored.message.id},
        ).mappings()
        rows = [named(dict(m)) for m in messages]
        events = db.execute(
            text("SELECT id, topic, event, holder, sent_at FROM handoff_event_outbox ORDER BY id")
        ).all()
        written = [
            (t.split(":")[0], named(e), h, s) for _i, t, e, h, s in events if e.get("message")
        ]
        written = [w for w in written if str(w[1]["message"]["id"]).startswith("reply")]
        pending = db.execute(
            text("SELECT pending FROM handoff_messages WHERE id = :id"), {"id": stored.message.id}
        ).scalar()
        outcomes = db.execute(
            text(
                "SELECT outcome FROM handoff_turn_outcomes WHERE conversation_id = :c ORDER BY id"
            ),
            {"c": conversation},
        ).scalars()
        outcome_list = list(outcomes)
    return {
        "sent": [(ids[m.id], m.text, m.buttons, m.author) for m in sent],
        "rows": rows,
        "events": written,
        "published": [(r.topic.split(":")[0], named(r.event), r.id is not None) for r in published],
        "published_ids": sorted(r.id for r in published if r.id is not None),
        "event_ids": sorted(i for i, _t, e, _h, _s in events if e.get("message")),
        "pending": pending,
        "finished": finished,
        "last_outcome": outcome_list[-1],
        "statements": len(statements),
    }


@pytest.mark.parametrize("handed_off", [False, True], ids=["bot", "with a session"])
def test_one_statement_writes_what_the_transaction_writes(
    gateway: Gateway, database_url: str, handed_off: bool
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite keeps the transaction")
    plain = _written(gateway, False, handed_off)
    once = _written(gateway, True, handed_off)
    assert once["statements"] == 1 and plain["statements"] > 5
    for key in ("sent", "rows", "events", "published", "pending", "finished", "last_outcome"):
        assert once[key] == plain[key], key
    assert once["pending"] is False and once["finished"] is True
    assert len(once["events"]) == (4 if handed_off else 2)  # a push each (+ the console's)
    # The events published are the rows written, by id.
    assert set(once["published_ids"]) <= set(once["event_ids"])
    assert len(once["published_ids"]) == len(once["events"])


def test_no_conversation_writes_nothing(gateway: Gateway, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite keeps the transaction")
    outbox = gateway.parts.outbox
    assert outbox._one_statement
    with pytest.raises(NotFound):
        asyncio.run(outbox.deliver("webchat:nobody", REPLIES, "bot", outcome=("answer", utcnow())))
    with gateway.parts.inbox.database() as db:
        count = db.execute(
            text("SELECT count(*) FROM handoff_messages WHERE conversation_id = 'webchat:nobody'")
        ).scalar()
    assert count == 0
