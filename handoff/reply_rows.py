"""The rows :meth:`handoff.outbox.Outbox.deliver` writes for each reply: the message,
its console event and the push to the user's page.

:func:`add_reply` writes them in the outbox's transaction. :func:`at_once` is the
one-statement path on PostgreSQL (``store.replies``): a turn's replies, their events,
the turn's outcome and its end in one round trip, for replies of the bot or the
system (no agent, no dedup key, nothing else to write with them). Both write the
same rows (``tests/test_outbox_at_once.py`` compares them).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from common.clock import utcnow
from common.messages import OutboundMessage
from events import DESK
from handoff import views
from handoff.answering import Answering, answered_turn
from handoff.relay import Recorded
from store import messages
from store.db import one_statement
from store.errors import NotFound
from store.models import Message
from store.replies import MESSAGE_ID, SESSION_ID, Reply, path_to, store_at_once

if TYPE_CHECKING:
    from handoff.outbox import Outbox

Stored = tuple[list[OutboundMessage], list[Recorded], set[int]]  # as deliver keeps them


def add_reply(
    outbox: Outbox,
    db: Session,
    conversation_id: str,
    author: str,
    reply: OutboundMessage,
    agent_id: int | None,
    active: int | None,
) -> tuple[OutboundMessage, list[Recorded], bool]:
    """Store *reply* and its events in *db*'s transaction: the reply as stored, the
    events, and whether the push to the user's page is one of them."""
    channel, _, user_id = conversation_id.partition(":")
    connector = outbox.connectors.get(channel)
    turn = answered_turn(conversation_id)
    buttons = [{"title": t, "payload": p} for t, p in reply.buttons]
    # A reply whose push is written with it is sent as far as this process goes:
    # stored delivered, in the same transaction as its push.
    pushes = connector is not None and connector.live_event(user_id, reply) is not None
    message = messages.add_message(
        db,
        conversation_id,
        author,
        reply.text,
        agent_id=agent_id,
        buttons=buttons,
        delivery=None if pushes else "sending",
        handler=outbox.holder,
        reply_to=turn.message_id if turn is not None else None,
        checked=True,
    )
    out = replace(reply, id=message.id, author=author, created_at=message.created_at)
    recorded = []
    event = views.message_event(db, message, active)
    if event:
        recorded.append(outbox.relay.record(db, DESK, event))
    live = connector.live_event(user_id, out) if connector is not None else None
    if live is not None:
        recorded.append(outbox.relay.record(db, *live))
    return out, recorded, live is not None


def at_once(
    outbox: Outbox,
    conversation_id: str,
    shown: list[OutboundMessage],
    author: str,
    turn: Answering | None,
    outcome: tuple[str, datetime] | None,
    ends_turn: bool,
) -> Stored | None:
    """The replies stored, their events, and those pushed with them; None when an
    event has no place for the id it must carry (the plain transaction stores them)."""
    channel, _, user_id = conversation_id.partition(":")
    connector = outbox.connectors.get(channel)
    with outbox.database() as db:
        rows = []
        for reply in shown:
            created = utcnow()
            buttons = [{"title": t, "payload": p} for t, p in reply.buttons] or None
            out = replace(reply, id=MESSAGE_ID, author=author, created_at=created)
            live = connector.live_event(user_id, out) if connector is not None else None
            delivery = None if live is not None else "sending"
            message = Message(
                id=MESSAGE_ID,
                conversation_id=conversation_id,
                author=author,
                kind="message",
                text=reply.text,
                buttons=buttons,
                delivery=delivery,
                created_at=created,
            )
            desk = views.message_event(db, message, SESSION_ID)
            if desk is None or path_to(desk, MESSAGE_ID) is None:
                return None
            if path_to(desk, SESSION_ID) is None:
                return None
            if live is not None and path_to(live[1], MESSAGE_ID) is None:
                return None
            holder = outbox.holder if delivery == "sending" else None
            rows.append(Reply(reply.text, buttons, delivery, holder, created, desk, live))
        with one_statement(db) as connection:
            written = store_at_once(
                connection,
                conversation_id,
                author,
                rows,
                outbox.holder,
                utcnow(),
                DESK,
                reply_to=turn.message_id if turn is not None else None,
                outcome=outcome,
                finish=turn.message_id if ends_turn and turn is not None else None,
            )
    if written is None:
        raise NotFound(f"no conversation {conversation_id}")
    stored = [
        replace(reply, id=message_id, author=author, created_at=row.created_at)
        for reply, row, message_id in zip(shown, rows, written.message_ids, strict=True)
    ]
    recorded = [Recorded(topic, event, written_id=i) for i, topic, event in written.events]
    pushed = {m for m, row in zip(written.message_ids, rows, strict=True) if row.live}
    return stored, recorded, pushed
