"""Replies to users: stored first, then sent through the conversation's connector.

A reply that can't be sent is never dropped: it stays in the history the user's
page re-reads, and its delivery state says why (kept until the user can be
reached again, or failed and retried by a job). Consoles see each reply and each
change of its delivery state: those events, and a web chat page's push, are written
in the transaction that stores the reply (``handoff.relay``), so none is lost with a
gateway killed after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
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
from handoff.relay import EventRelay, Recorded
from store import deliveries, handoffs, messages
from store.models import Message

log = logging.getLogger(__name__)


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

    async def deliver(
        self,
        conversation_id: str,
        replies: list[OutboundMessage],
        author: str = "bot",
        agent_id: int | None = None,
        dedup_key: str | None = None,
    ) -> list[OutboundMessage]:
        """Store *replies*, then send them through the conversation's connector.

        Stored first: if the connector fails, the message is still in the history
        the user's client fetches when it reconnects. With *dedup_key* (an agent
        console's id for a reply) a retry, through any gateway, sends nothing again
        and returns the first copy.
        """
        stored: list[OutboundMessage] = []
        recorded: list[Recorded] = []
        pushed: set[int] = set()  # delivered by a live event written with the reply
        channel, _, user_id = conversation_id.partition(":")
        connector = self.connectors.get(channel)
        with self.database.begin() as db:
            if dedup_key is not None and not deliveries.first_delivery(db, author, dedup_key):
                first = deliveries.delivered_message(db, author, dedup_key)
                return [messages.as_outbound(first)] if first is not None else []
            active = handoffs.active_session_id(db, conversation_id)
            for reply in replies:
                if not (reply.text or reply.image):
                    continue
                buttons = [{"title": t, "payload": p} for t, p in reply.buttons]
                message = messages.add_message(
                    db, conversation_id, author, reply.text, agent_id=agent_id, buttons=buttons
                )
                shown = replace(reply, id=message.id, author=author, created_at=message.created_at)
                stored.append(shown)
                event = views.message_event(db, message, active)
                if event:
                    recorded.append(self.relay.record(db, DESK, event))
                live = connector.live_event(user_id, shown) if connector is not None else None
                if live is not None:
                    recorded.append(self.relay.record(db, *live))
                    pushed.add(message.id)
            if dedup_key is not None and stored and stored[0].id is not None:
                deliveries.link_delivery(db, author, dedup_key, stored[0].id)
        self.relay.publish(recorded)
        for reply in stored:
            if reply.id in pushed:
                MESSAGES.labels(channel, "out").inc()
            else:
                await self._send(conversation_id, reply)
        return stored

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

    async def _send(self, conversation_id: str, reply: OutboundMessage) -> bool:
        """Send one stored reply; a failure is recorded on the message, never dropped."""
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

    async def _resend(self, conversation_id: str, ids: list[int], status: str) -> int:
        sent = 0
        for message_id in ids:
            with self.database.begin() as db:
                if not messages.claim_resend(db, message_id, status):
                    continue  # another process is sending it
                m = db.get(Message, message_id)
                if m is None:
                    continue
                reply = messages.as_outbound(m)
            RETRIES.labels(f"delivery_{status}").inc()
            if await self._send(conversation_id, reply):
                self._delivery(conversation_id, reply, None)
                sent += 1
        return sent
