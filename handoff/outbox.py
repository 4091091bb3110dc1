"""Replies to users: stored first, then sent through the conversation's connector.

A reply that can't be sent is never dropped: it stays in the history the user's
page re-reads, and its delivery state says why (kept until the user can be
reached again, or failed and retried by a job). Consoles see each reply and each
change of its delivery state: those events, and a web chat page's push, are written
in the transaction that stores the reply (``handoff.relay``), so none is lost with a
gateway killed after the commit.

A reply is stored ``sending``, under this process's name, and marked sent once the
platform took it: a process that dies in between leaves it ``sending``, and the
recovery job of another process sends it (:meth:`Outbox.resend_stuck`; one process
wins each, by a conditional ``UPDATE``). A reply retried to the bound is *dead*:
its state says so and an agent is asked to step in (``on_dead``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from common import texts
from common.channel import Connector, DeliveryFailed, Refused, Undeliverable, shown_error
from common.clock import utcnow
from common.messages import OutboundMessage
from common.metrics import DELIVERY_FAILURES, MESSAGES, RETRIES
from common.settings import DeskSettings
from events import DESK, EventHub
from handoff import views
from handoff.answering import answered_turn
from handoff.relay import EventRelay, Recorded
from handoff.reply_rows import add_reply, at_once
from store import conversations, deliveries, handoffs, messages, outcomes, turns
from store.db import commit_without_waiting
from store.errors import NotFound
from store.leases import HOLDER
from store.models import Message

log = logging.getLogger(__name__)

# Told when a reply is given up on (dead): (conversation id, message id).
DeadHook = Callable[[str, int], Awaitable[None]]


class Outbox:
    def __init__(
        self,
        database: sessionmaker[Session],
        hub: EventHub,
        settings: DeskSettings,
        connectors: dict[str, Connector] | None = None,
        clock: Callable[[], datetime] = utcnow,
        relay: EventRelay | None = None,
    ) -> None:
        self.database = database
        self.hub = hub
        self.settings = settings
        self.connectors: dict[str, Connector] = connectors or {}  # by channel name
        self.clock = clock
        self.relay = relay or EventRelay(database, hub)
        self.holder = HOLDER  # this process, as the sender of the replies it stores
        self.on_dead: DeadHook | None = None
        bind = database.kw.get("bind")
        self._one_statement = bind is not None and bind.dialect.name == "postgresql"

    async def deliver(
        self,
        conversation_id: str,
        replies: list[OutboundMessage],
        author: str = "bot",
        agent_id: int | None = None,
        dedup_key: str | None = None,
        with_replies: Callable[[Session], None] | None = None,
        ends_turn: bool = False,
        outcome: tuple[str, datetime] | None = None,
    ) -> list[OutboundMessage]:
        """Store *replies*, then send them through the conversation's connector.

        Stored first: if the connector fails, the message is still in the history
        the user's client fetches when it reconnects. With *dedup_key* (an agent
        console's id for a reply) a retry, through any gateway, sends nothing again
        and returns the first copy. *with_replies* writes more in the same transaction
        (a content gap); *outcome* is the turn's, recorded with it; with *ends_turn* that
        transaction also finishes the turn being answered (``handoff.answering``). On
        PostgreSQL a bot's or the system's replies are one statement (``handoff.reply_rows``).
        """
        stored: list[OutboundMessage] = []
        recorded: list[Recorded] = []
        pushed: set[int] = set()  # delivered by a live event written with the reply
        channel = conversation_id.partition(":")[0]
        turn = answered_turn(conversation_id)
        shown = [r for r in replies if r.text or r.image]
        active: int | None = None
        done = None
        if self._one_statement and shown and not (agent_id or dedup_key or with_replies):
            done = at_once(self, conversation_id, shown, author, turn, outcome, ends_turn)
        if done is not None:
            stored, recorded, pushed = done
        else:
            with self.database.begin() as db:
                if dedup_key is not None and not deliveries.first_delivery(db, author, dedup_key):
                    first = deliveries.delivered_message(db, author, dedup_key)
                    return [messages.as_outbound(first)] if first is not None else []
                if shown:  # one query: the conversation is there, and its unresolved session
                    found, active = conversations.with_active_session(db, conversation_id)
                    if not found:
                        raise NotFound(f"no conversation {conversation_id}")
                for reply in shown:
                    out, events, pushes = add_reply(
                        self, db, conversation_id, author, reply, agent_id, active
                    )
                    stored.append(out)
                    recorded += events
                    if pushes and out.id is not None:
                        pushed.add(out.id)
                if dedup_key is not None and stored and stored[0].id is not None:
                    deliveries.link_delivery(db, author, dedup_key, stored[0].id)
                if with_replies is not None:
                    with_replies(db)
                if outcome is not None:
                    outcomes.record(db, conversation_id, *outcome)
                if ends_turn and turn is not None:
                    turns.finish_turn(db, turn.message_id)
        if ends_turn and turn is not None:
            turn.finished = True
        self.relay.publish(recorded)
        for reply in stored:
            if reply.id in pushed:
                MESSAGES.labels(channel, "out").inc()
            elif await self._send(conversation_id, reply) and reply.id is not None:
                # Recorded one by one: a process that dies now leaves only the replies
                # it had not sent yet to be sent again. No console event: nothing to show.
                await asyncio.to_thread(self._sent, reply.id)
        return stored

    def _sent(self, message_id: int) -> None:
        with self.database.begin() as db:
            # Lost only with the database server: the reply stays "sending" and is sent
            # again once this process is gone, as when it dies before this mark.
            commit_without_waiting(db)
            messages.mark_sent(db, [message_id], self.holder)

    def tickets_only(self, conversation_id: str) -> bool:
        """The conversation's channel makes every conversation a ticket (email)."""
        connector = self.connectors.get(conversation_id.partition(":")[0])
        return connector is not None and connector.tickets_only

    def echo_event(self, message: Message) -> tuple[str, dict[str, Any]] | None:
        """The user's own *message* as a live event to their other open pages, for a
        channel that shows the user's messages and delivers by live events."""
        channel, _, user_id = message.conversation_id.partition(":")
        connector = self.connectors.get(channel)
        if connector is None or not connector.echoes_user:
            return None
        return connector.live_event(user_id, messages.as_outbound(message))

    async def echo(self, message: Message) -> None:
        """The user's own *message*, to their other open pages where the channel has them."""
        channel, _, user_id = message.conversation_id.partition(":")
        connector = self.connectors.get(channel)
        if connector is None or not connector.echoes_user:
            return
        try:
            await connector.send(user_id, messages.as_outbound(message))
        except Exception as exc:  # the page that sent it has it; others catch up on reconnect
            log.warning("echo of message %s on %s failed: %r", message.id, channel, exc)

    async def tell(
        self, conversation_id: str, language: str, key: texts.Key, **values: Any
    ) -> list[OutboundMessage]:
        """A system notice from :mod:`common.texts`, in the user's language."""
        notice = OutboundMessage(text=texts.text(language, key, **values))
        return await self.deliver(conversation_id, [notice], "system")

    async def _send(
        self, conversation_id: str, reply: OutboundMessage, last_try: bool = False
    ) -> bool:
        """Send one stored reply; a failure is recorded on the message, never dropped.

        On the *last_try* a transient failure makes it dead rather than failed."""
        channel, _, user_id = conversation_id.partition(":")
        connector = self.connectors.get(channel)
        try:
            if connector is None:
                raise DeliveryFailed(f"no connector for channel {channel!r} is configured")
            await connector.send(user_id, reply)
        except Undeliverable as exc:
            self._delivery(conversation_id, reply, "undelivered", str(exc))
            return False
        except Refused as exc:  # final: the retry job only picks up "failed"
            log.info("delivery of message %s on %s refused for good", reply.id, channel)
            DELIVERY_FAILURES.labels(channel, "refused").inc()
            self._delivery(conversation_id, reply, "refused", str(exc))
            return False
        except Exception as exc:
            log.warning("delivery of message %s on %s failed: %r", reply.id, channel, exc)
            DELIVERY_FAILURES.labels(channel, "failed").inc()
            if last_try:
                await self._dead(conversation_id, reply, shown_error(exc))
            else:
                self._delivery(conversation_id, reply, "failed", shown_error(exc))
            return False
        MESSAGES.labels(channel, "out").inc()
        return True

    def _delivery(
        self, conversation_id: str, reply: OutboundMessage, status: str | None, error: str = ""
    ) -> None:
        if reply.id is None:
            return
        with self.database.begin() as db:
            messages.mark_delivery(db, reply.id, status, error)
            message = db.get(Message, reply.id)
            active = handoffs.active_session_id(db, conversation_id)
            event = views.message_event(db, message, active) if message is not None else None
            recorded = [self.relay.record(db, DESK, {**event, "type": "delivery"})] if event else []
        self.relay.publish(recorded)

    async def redeliver(self, conversation_id: str) -> None:
        """The user wrote again: send what was kept because they couldn't be reached."""
        with self.database() as db:
            kept = [m.id for m in messages.undelivered(db, conversation_id)]
        await self._resend(conversation_id, kept, "undelivered")

    async def retry_failed(self) -> int:
        """A job: send again what a platform refused with a transient error (last 24 h)."""
        since = self.clock() - timedelta(hours=24)
        with self.database() as db:
            failed = messages.failed_deliveries(db, since, self.settings.delivery_retries)
        sent = 0
        for message_id, conversation_id in failed:
            sent += await self._resend(conversation_id, [message_id], "failed")
        return sent

    async def resend_stuck(self) -> int:
        """A job: send the replies a dead process stored but never recorded as sent.

        It may have sent one just before it died: the platform then shows it twice,
        which beats never. Each is taken by one process, and counts as an attempt.
        """
        with self.database() as db:
            stuck = messages.stuck_sending(db, self.clock())
        sent = 0
        for message_id, conversation_id, sender in stuck:
            log.warning("sending message %s again, left unsent by a dead process", message_id)
            sent += await self._resend(conversation_id, [message_id], "sending", sender)
        return sent

    async def _resend(
        self, conversation_id: str, ids: list[int], status: str, previous: str | None = None
    ) -> int:
        sent = 0
        bound = self.settings.delivery_retries
        for message_id in ids:
            with self.database.begin() as db:
                if not messages.claim_resend(db, message_id, status, self.holder, previous):
                    continue  # another process is sending it
                m = db.get(Message, message_id)
                if m is None:
                    continue
                reply = messages.as_outbound(m)
                attempts = int(m.attempts)
            RETRIES.labels(f"delivery_{status}").inc()
            if status == "sending" and attempts > bound:  # it killed every sender so far
                await self._dead(conversation_id, reply, f"given up after {bound} tries")
                continue
            last_try = status != "undelivered" and attempts >= bound
            if await self._send(conversation_id, reply, last_try):
                self._delivery(conversation_id, reply, None)
                sent += 1
        return sent

    async def _dead(self, conversation_id: str, reply: OutboundMessage, why: str) -> None:
        """Give the reply up; an agent is asked to step in."""
        log.warning("delivery of message %s given up: %s", reply.id, why)
        self._delivery(conversation_id, reply, "dead", why)
        if self.on_dead is not None and reply.id is not None:
            try:
                await self.on_dead(conversation_id, reply.id)
            except Exception:
                log.exception("could not ask an agent to step in for message %s", reply.id)
