"""Every user message, stored before anything else happens, and who should answer it.

The router (``gateway.router``) calls :meth:`Inbox.receive` first: the message is
kept, its turn marked pending, and the answer says whether a human holds the
conversation, whether a rating question is open, and whether replies wait for
delivery. Consoles showing the conversation get the message at once, by an event
written in the same transaction (``handoff.relay``). :meth:`Inbox.receive_early` says
who answers before the rest of that transaction is done (``gateway.early``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from common.metrics import MESSAGES
from common.payload import TranscriptLine
from common.settings import DeskSettings
from events import DESK, EventHub
from guard import Guard
from handoff import media, views
from handoff.relay import EventRelay, Recorded
from store import conversations, deliveries, handoffs, messages, ratings, turns
from store.leases import HOLDER
from store.models import HandoffSession, Message

# A bot question about a transfer: a bare 64-hex reply is then a hash, not a key.
_TRANSFER_TALK = re.compile(
    r"hash|txid|哈希|交易|转账|到账|transfer|transacci[oó]n|transferencia|network|网络|\bred\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Inbound:
    """A stored user message and who answers it."""

    message: Message
    held: int | None  # the session whose agent it is for: the bot stays silent
    rating_open: int | None  # the resolved session still waiting for a 1-5 rating
    undelivered: bool = False  # replies kept because the user couldn't be reached
    duplicate: bool = False  # the client sent it before: *message* is the first copy
    echoed: bool = False  # its push to the user's other pages was written with it
    attempts: int = 0  # a recovered turn: how often it has been taken over, this time too


@dataclass(frozen=True)
class Look:
    """What a user message's first query found: who answers it (before it is stored)."""

    held: int | None  # as Inbound's
    rating_open: int | None
    undelivered: bool
    held_or_active: int | None  # the unresolved session whose console shows the message


def _settle(future: asyncio.Future[Look], look: Look) -> None:
    if not future.done():  # the waiter may have given up (cancelled)
        future.set_result(look)


class Inbox:
    def __init__(
        self,
        database: sessionmaker[Session],
        hub: EventHub,
        settings: DeskSettings,
        guard: Guard,
        clock: Callable[[], datetime] = utcnow,
        relay: EventRelay | None = None,
    ) -> None:
        self.database = database
        self.hub = hub
        self.settings = settings
        self.guard = guard
        self.clock = clock
        self.holder = HOLDER  # this process, for the turns it handles (Message.handler)
        self.relay = relay or EventRelay(database, hub)
        # The user's own message as a live event to their other pages, where the
        # channel has them (``Outbox.echo_event``, set by the assembly).
        self.echo_event: Callable[[Message], tuple[str, dict[str, Any]] | None] | None = None

    def receive(
        self,
        conversation_id: str,
        channel: str,
        language: str,
        text: str,
        attachment: dict[str, str] | None = None,
        guarded: bool = False,
        dedup_key: str | None = None,
        pending: bool = False,
        echo: bool = False,
    ) -> Inbound:
        """Persist what the user wrote, and say who should answer it (one transaction).

        The router passes text the guard has already seen (*guarded*); anything else
        is scrubbed here, so no path stores a secret. With *dedup_key* (a platform's
        or a client's id for the delivery) a second delivery, from any process,
        stores nothing and gets the first copy back. *pending* marks a turn that
        :meth:`finish` closes. With *echo*, the push of the message to the user's other
        pages is written in the same transaction.
        """
        args = (conversation_id, channel, language, text, attachment, guarded, dedup_key)
        stored, recorded = self._receive(*args, pending, echo, None)
        self.relay.publish(recorded)
        return stored

    async def receive_early(
        self,
        conversation_id: str,
        channel: str,
        language: str,
        text: str,
        attachment: dict[str, str] | None = None,
        dedup_key: str | None = None,
    ) -> tuple[Look | None, asyncio.Future[Inbound]]:
        """:meth:`receive` of a guarded, pending, echoed message, in a thread: returns
        as soon as its first query (and its duplicate check) saw what decides who
        answers it, with the rest of the transaction still running. The future is the
        message once committed (and its events published). The look is None when the
        transaction ended before that (a duplicate, or a failure): await the future."""
        loop = asyncio.get_running_loop()
        looked: asyncio.Future[Look] = loop.create_future()

        def seen(look: Look) -> None:  # in the thread, inside the transaction
            loop.call_soon_threadsafe(_settle, looked, look)

        args = (conversation_id, channel, language, text, attachment, True, dedup_key)

        async def stored() -> Inbound:
            inbound, recorded = await asyncio.to_thread(self._receive, *args, True, True, seen)
            self.relay.publish(recorded)
            return inbound

        task = asyncio.ensure_future(stored())
        await asyncio.wait((looked, task), return_when=asyncio.FIRST_COMPLETED)
        if not looked.done():
            looked.cancel()
            return None, task
        return looked.result(), task

    def _receive(
        self,
        conversation_id: str,
        channel: str,
        language: str,
        text: str,
        attachment: dict[str, str] | None,
        guarded: bool,
        dedup_key: str | None,
        pending: bool,
        echo: bool,
        seen: Callable[[Look], None] | None,
    ) -> tuple[Inbound, list[Recorded]]:
        text = text if guarded else self.guard.scrub(text)
        attachment, refused = media.checked(attachment, self.settings.media_max_bytes)
        text = f"{text} {refused}".strip() if refused else text
        now = self.clock()
        with self.database.begin() as db:
            # Loaded once, and held: later look-ups in this transaction find it in the
            # session (whose map of loaded rows keeps only what something holds).
            conversation, latest, waiting = conversations.for_message(
                db, conversation_id, channel, language
            )
            if dedup_key is not None and not deliveries.first_delivery(db, channel, dedup_key):
                # Delivered before: nothing is stored, the first copy is the answer
                # (none for a delivery that stored no message, such as a group post).
                first = deliveries.delivered_message(db, channel, dedup_key)
                if first is None:
                    first = Message(conversation_id=conversation_id, author="user", text="")
                return Inbound(first, None, None, duplicate=True), []
            look = self._look(latest, now, waiting)
            if seen is not None:
                seen(look)
            message = messages.add_message(
                db,
                conversation_id,
                "user",
                text,
                attachment=attachment,
                pending=pending,
                handler=self.holder,
                checked=True,
            )
            if dedup_key is not None:
                deliveries.link_delivery(db, channel, dedup_key, message.id)
            conversations.user_wrote(db, conversation.id, now)
            event = views.message_event(db, message, look.held_or_active)
            recorded = [self.relay.record(db, DESK, event)] if event else []
            live = self.echo_event(message) if echo and self.echo_event is not None else None
            if live is not None:
                recorded.append(self.relay.record(db, *live))
        MESSAGES.labels(channel, "in").inc()
        inbound = Inbound(message, look.held, look.rating_open, waiting, echoed=live is not None)
        return inbound, recorded

    def _look(self, latest: HandoffSession | None, now: datetime, waiting: bool) -> Look:
        # An unresolved session is always the conversation's latest.
        active = latest if latest is not None and latest.state != "resolved" else None
        held = None
        if active is not None and (active.kind == "chat" or active.state == "assigned"):
            held = int(active.id)
        rating_open = None
        since = now - timedelta(minutes=self.settings.csat_minutes)
        if active is None and latest is not None and ratings.rating_pending(latest, since):
            rating_open = int(latest.id)
        return Look(held, rating_open, waiting, int(active.id) if active is not None else None)

    def language_of(self, conversation_id: str) -> str | None:
        with self.database() as db:
            return conversations.language(db, conversation_id)

    # --- turns -------------------------------------------------------------------

    def finish(self, message_id: int) -> None:
        """The turn for this user message is done (see ``store.turns``)."""
        with self.database.begin() as db:
            turns.finish_turn(db, message_id)

    def abandon(self, message_id: int, retry_at: datetime | None = None) -> None:
        """This process failed the turn: any process's recovery job may take it (from
        *retry_at* on)."""
        with self.database.begin() as db:
            turns.abandon_turn(db, message_id, retry_at)

    def answered(self, message_id: int) -> bool:
        """Whether the turn's answer was stored (its process died after that)."""
        with self.database() as db:
            return turns.answered(db, message_id)

    def dead_letter(self, message_id: int, why: str) -> None:
        """The turn is given up: marked for agents, no longer pending."""
        with self.database.begin() as db:
            turns.dead_letter_turn(db, message_id, why)

    def take_stale_turns(self) -> list[Inbound]:
        """Take over turns a dead process left unfinished; each is taken by one process.

        They stay pending, now under this process, until :meth:`finish`.
        """
        taken = []
        with self.database.begin() as db:
            for message in turns.stale_turns(db, self.clock()):
                if turns.take_over_turn(db, message, self.holder):
                    latest = handoffs.latest_session(db, message.conversation_id)
                    look = self._look(latest, self.clock(), False)
                    attempts = int(message.attempts or 0) + 1
                    taken.append(Inbound(message, look.held, look.rating_open, attempts=attempts))
        return taken

    # --- what the guard found ------------------------------------------------------

    def asked_for_hash(self, conversation_id: str) -> bool:
        """Whether the conversation is about a transfer just now (the bot's last message
        asked for a hash, or about the transfer): a bare 64-hex reply is then a hash."""
        with self.database() as db:
            text = conversations.last_outbound_text(db, conversation_id)
        return bool(_TRANSFER_TALK.search(text or ""))

    def tag(self, conversation_id: str, tag: str) -> None:
        with self.database.begin() as db:
            conversations.add_tag(db, conversation_id, tag)
        self.hub.publish(DESK, {"type": "queue"})

    def transcript(self, conversation_id: str, limit: int = 12) -> list[TranscriptLine]:
        """The conversation's last messages as a handoff transcript, as stored: any
        secret in them is already ``[redacted: …]`` (scrubbed once more all the same)."""
        with self.database() as db:
            rows = messages.messages(db, conversation_id)[-limit:]
            return [
                TranscriptLine(
                    role="user" if m.author == "user" else "bot",
                    text=self.guard.scrub(m.text),
                    at=m.created_at.isoformat() if m.created_at else None,
                )
                for m in rows
                if m.text
            ]

    def redact(self, message_ids: list[int], kind: str) -> None:
        """Earlier pieces of a phrase, recognised only once the rest arrived."""
        with self.database.begin() as db:
            messages.redact(db, message_ids, kind)
