"""Phone callbacks on the desk: the number kept out of everything but its record, the
booking (a ``callback`` ticket due at the slot's end), and the agent's "done".

Where the number is (docs/security.md, "Callback numbers"):

- the router masks it before the message is stored (:meth:`Callbacks.mask`): the stored
  message, the consoles, the transcripts, the logs, analytics and Rasa see
  ``[phone …8000]`` only, in every message that has call words ("call me", "回电",
  "llámame") or that answers the bot's question for a number;
- the full number is held per conversation (``callback_holds``) until the bot's form
  books it, then moves onto the booking (``callback_requests``), which only the agent API
  returns (:mod:`handoff.api.callbacks`).
"""

from __future__ import annotations

import math
import re
from datetime import datetime

from sqlalchemy.orm import Session

from common import phone_hours, phones
from common.messages import OutboundMessage
from common.payload import HandoffPayload
from handoff.desk import Desk
from store import callbacks, conversations, messages
from store.models import Agent, HandoffSession

# Words that make a number in the same message a number to call back.
_CALL_WORDS = re.compile(
    r"\b(?:call(?:back|ing|s|ed)?|phone|ring|dial|ll[aá]m\w*|tel[eé]fono|celular|m[oó]vil"
    r"|n[uú]mero)\b|回电|电话|致电|打给我|联系我",
    re.IGNORECASE,
)
ASK_MARKER = "expect"  # the bot's {"expect": "phone"}: it just asked for a number


class Callbacks:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        # Conversations this process saw waiting for a number: the bot's next turn that
        # asks nothing more ends the wait (elsewhere, it lapses: store.callbacks.ASKED_FOR).
        self._waiting: set[str] = set()

    @property
    def region(self) -> str:
        return self.desk.service.callback_region

    def mask(self, conversation_id: str, text: str) -> phones.Masked:
        """*text* as it may be stored and sent on: call-back numbers as their tokens."""
        if not any(c.isdigit() for c in text):
            return phones.Masked(text)
        if self.desk.outbox.tickets_only(conversation_id):  # email: an agent reads it, no bot
            return phones.Masked(text)
        with self.desk.database() as db:
            asked = callbacks.expecting(db, conversation_id, self.desk.clock())
        if asked:
            self._waiting.add(conversation_id)
        if not asked and not _CALL_WORDS.search(text):
            return phones.Masked(text)
        return phones.mask(text, self.region, attempts=asked)

    def keep(self, conversation_id: str, masked: phones.Masked) -> None:
        """Hold the number the message gave (once the message, and so its
        conversation, is stored)."""
        if masked.numbers:
            with self.desk.database.begin() as db:
                callbacks.hold(db, conversation_id, masked.numbers[-1], self.desk.clock())

    def changes_wait(self, conversation_id: str, asks: bool) -> bool:
        """Whether :meth:`asked` has anything to write (most turns: no)."""
        return asks or conversation_id in self._waiting

    def asked(self, conversation_id: str, asks: bool) -> None:
        """After a bot turn: whether it asked for a number (its ``{"expect": "phone"}``)."""
        if not self.changes_wait(conversation_id, asks):
            return
        with self.desk.database.begin() as db:
            callbacks.ask(db, conversation_id, self.desk.clock() if asks else None)
        if asks:
            self._waiting.add(conversation_id)
        else:
            self._waiting.discard(conversation_id)

    async def book(self, payload: HandoffPayload, channel: str) -> list[OutboundMessage]:
        """The bot's callback payload: a ticket due when the slot ends, the number moved
        onto it, and the user told the ticket number and the slot."""
        conversation = payload.conversation_id
        asked = payload.details.callback or {}
        start = datetime.fromisoformat(asked["start"])
        end = datetime.fromisoformat(asked.get("end") or (start + phone_hours.SLOT).isoformat())
        now = self.desk.clock()
        hours = max(1, math.ceil((end - now).total_seconds() / 3600))
        with self.desk.database() as db:
            number = callbacks.held(db, conversation, now)
        session, _ = await self.desk.open(
            payload.copy(update={"sla_hours": hours}), channel, ticket=True, notify=False
        )
        with self.desk.database.begin() as db:
            callbacks.book(db, session.id, number, start, end)
            callbacks.release(db, conversation)
            # A ticket already open (a dispute, say) takes the callback: the tag shows it.
            conversations.add_tag(db, conversation, "callback")
            if number is None:  # held too long ago, or never: the agent must ask
                note = "Callback booked without a number on record: ask the user for it."
                messages.add_message(db, conversation, "system", note, kind="note")
        zone = self.desk.settings.timezone
        return await self.desk.outbox.tell(
            conversation,
            session.language,
            "callback_booked",
            ticket=session.ticket,
            slot=phone_hours.label(start, session.language, zone),
            timezone=self.desk.service.timezone,
            last4=phones.last_four(number) if number else "?",
        )

    async def done(self, agent: Agent, session_id: int, outcome: str) -> HandoffSession:
        """The agent called: the outcome is kept on the callback and as a note, and the
        ticket is resolved (claimed by this agent first, like any resolve)."""
        text = self.desk.guard.scrub(outcome.strip())
        now = self.desk.clock()

        def record(db: Session, session: HandoffSession) -> None:
            callbacks.mark_done(db, session.id, agent.id, text, now)
            note = f"Callback done: {text}"
            messages.add_message(
                db, session.conversation_id, "agent", note, kind="note", agent_id=agent.id
            )

        return await self.desk.resolve(agent, session_id, also=record)

    def record(self, session_id: int) -> dict[str, object] | None:
        """The callback on a session, for agents: the full number to dial."""
        with self.desk.database() as db:
            row = callbacks.of_session(db, session_id)
            if row is None:
                return None
            number = str(row.number) if row.number else None
            return {
                "number": phones.readable(number) if number else None,
                "e164": number,
                "slot_start": row.slot_start.isoformat(),
                "slot_end": row.slot_end.isoformat(),
                "state": row.state,
                "outcome": row.outcome,
                "done_by": row.done_by,
                "done_at": row.done_at.isoformat() if row.done_at else None,
            }
