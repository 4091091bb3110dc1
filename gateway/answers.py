"""What the user is told after the guard or the bot had its say.

The guard's findings get a warning (and, for a shared secret, a human), and the
bot's replies are read: a handoff payload opens a session on the desk, an outcome
marker feeds the metrics, and a bot that can't answer hands the user to a human.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import replace

from sqlalchemy.orm import Session

from common import texts
from common.language import DEFAULT_LANGUAGE, Language, normalise_language
from common.limits import Limiter, Rules
from common.messages import InboundMessage, OutboundMessage
from common.metrics import BOT_TURNS
from common.payload import HANDOFF_KEY, HandoffPayload, HandoffReason, Priority
from common.settings import ServiceSettings
from connectors import Turn
from gateway.rasa import RasaClient, RasaUnavailable
from gateway.turn_labels import first_line, outcome_label, record_turn, suggests
from guard import PHRASE, Verdict
from handoff import Callbacks, Desk, Inbox, Outbox, gaps
from handoff.callbacks import ASK_MARKER
from store import handoffs
from store.models import Message

log = logging.getLogger(__name__)

OUTCOME_KEY = "outcome"  # {"outcome": "fallback"}: how the bot's turn went, for metrics
# An email's first lines hold its question; the rest is history, signatures, disclaimers.
EMAIL_QUESTION_CHARS = 1000


class Answers:
    def __init__(
        self, inbox: Inbox, outbox: Outbox, desk: Desk, rasa: RasaClient, service: ServiceSettings
    ) -> None:
        self.inbox = inbox
        self.outbox = outbox
        self.desk = desk
        self.rasa = rasa
        self.service = service
        self.callbacks = Callbacks(desk)
        self._limiter = Limiter()
        self._handoffs_per_ip: Rules = []

    def limit_handoffs(self, limiter: Limiter, per_ip: Rules) -> None:
        """Cap new handoffs per client address (scripted "talk to a human" would
        otherwise fill the queue; one open handoff per conversation already holds)."""
        self._limiter = limiter
        self._handoffs_per_ip = per_ip

    def _has_session(self, conversation: str) -> bool:
        with self.desk.database() as db:
            return handoffs.active_session_id(db, conversation) is not None

    async def _open(
        self, payload: HandoffPayload, message: InboundMessage, turn: Turn | None
    ) -> list[OutboundMessage]:
        """Open the handoff, unless it is a new one from an address over its limit."""
        address = message.client_ip
        if address and self._handoffs_per_ip:
            conversation = message.conversation_id
            if not await asyncio.to_thread(self._has_session, conversation):
                refused = await asyncio.to_thread(
                    self._limiter.hit, self._handoffs_per_ip, "handoffs-ip", address
                )
                if refused is not None:
                    if turn is not None:
                        turn.retry_after = refused.retry_after
                    minutes = math.ceil(refused.retry_after / 60)
                    return await self.outbox.tell(
                        conversation, payload.language, "handoff_limited", minutes=minutes
                    )
        if payload.reason == HandoffReason.CALLBACK and payload.details.callback:
            return await self.callbacks.book(payload, message.channel)  # a ticket, booked
        # Nobody chats by email: a handoff there (the guard's) is a ticket, told as one.
        email = self.outbox.tickets_only(message.conversation_id)
        _session, notices = await self.desk.open(payload, message.channel, ticket=email)
        return notices

    @staticmethod
    def unavailable() -> OutboundMessage:
        """Stands in for Rasa's replies when Rasa can't be reached."""
        return OutboundMessage(custom={OUTCOME_KEY: "unavailable"})

    async def scam_reported(
        self, message: InboundMessage, language: Language
    ) -> list[OutboundMessage]:
        conversation = message.conversation_id
        self.inbox.tag(conversation, "scam_report")
        channels = ", ".join(self.service.domain_list)
        return await self.outbox.tell(conversation, language, "scam", channels=channels)

    async def piece_held(
        self, message: InboundMessage, language: Language, message_id: int
    ) -> list[OutboundMessage]:
        """A piece of a phrase, kept from the bot: Rasa's tracker would keep it for good,
        where no later redaction reaches. The user is warned before the rest follows.

        The stored copy is redacted too (the guard already did, unless the message only
        became a piece by coming inside a run, like "thank you" between two pieces)."""
        await asyncio.to_thread(self.inbox.redact, [message_id], PHRASE)
        BOT_TURNS.labels("piece_held").inc()
        return await self.outbox.tell(message.conversation_id, language, "piece")

    async def secret_shared(
        self,
        message: InboundMessage,
        language: Language,
        verdict: Verdict,
        turn: Turn | None = None,
    ) -> list[OutboundMessage]:
        """Warn at once, and have a human follow up. Nothing of it goes to the bot."""
        conversation = message.conversation_id
        kind = verdict.secrets[0]
        if verdict.earlier_fragments:
            self.inbox.redact(verdict.earlier_fragments, kind)
        self.inbox.tag(conversation, "secret_shared")
        article = f"{self.service.help_center_url.rstrip('/')}/seed-phrase-safety"
        sent = await self.outbox.tell(
            conversation,
            language,
            "secret",
            kind=texts.SECRET_KINDS[language][kind],
            article=article,
        )
        BOT_TURNS.labels("secret_shared").inc()
        # Urgent, with a short deadline: whoever has the phrase can empty the wallet
        # any minute. The agent gets the conversation as stored (redacted).
        transcript = await asyncio.to_thread(self.inbox.transcript, conversation)
        payload = HandoffPayload(
            conversation_id=conversation,
            reason=HandoffReason.SECURITY,
            priority=Priority.URGENT,
            language=language,
            sla_hours=self.service.security_sla_hours,
            summary=f"security: the user sent a {' and a '.join(verdict.secrets)} "
            "(redacted, never stored); warned to move funds to a new wallet",
            transcript=transcript,
        )
        return sent + await self._open(payload, message, turn)

    async def ticket(
        self, message: InboundMessage, language: Language, turn: Turn | None = None
    ) -> list[OutboundMessage]:
        """An email: a ticket from the start, and one reply with its number (and the
        article the bot would answer with, when it would answer outright)."""
        conversation = message.conversation_id
        if await asyncio.to_thread(self._has_session, conversation):
            return []  # the open ticket's agent reads it; nobody answers automatically
        payload = HandoffPayload(
            conversation_id=conversation,
            reason=HandoffReason.EMAIL,
            language=language,
            sla_hours=self.service.ticket_sla_hours,
            summary=f"email: {first_line(message.text)}",
        )
        session, _ = await self.desk.open(payload, message.channel, ticket=True, notify=False)
        sla = session.sla_hours or self.service.ticket_sla_hours
        text = texts.text(language, "email_ticket", ticket=session.ticket, sla_hours=sla)
        article = await self._article(message)
        if article:
            text += "\n\n" + texts.text(language, "email_article", answer=article)
        BOT_TURNS.labels("handoff").inc()
        return await self.outbox.deliver(conversation, [OutboundMessage(text=text)], "system")

    async def _article(self, message: InboundMessage) -> str | None:
        """The bot's answer to the email, only when it answers with an article outright
        (not a question back, a form or a miss); None when Rasa can't be reached."""
        question = replace(message, text=message.text[:EMAIL_QUESTION_CHARS])
        try:
            replies = await self.rasa.send(question)
        except RasaUnavailable:
            return None
        said: str | None = None
        for reply in replies:
            custom = reply.custom or {}
            if custom.get(OUTCOME_KEY) == "answer":  # follows the article's text
                return said
            said = reply.text if reply.text and not custom else said
        return None

    async def from_bot(
        self,
        message: InboundMessage,
        language: Language,
        replies: list[OutboundMessage],
        turn: Turn | None = None,
    ) -> list[OutboundMessage]:
        """Send what the bot said, and act on its handoff payloads and outcome markers."""
        payloads: list[HandoffPayload] = []
        asks_number = False
        outcomes: set[str] = set()
        visible: list[OutboundMessage] = []
        for reply in replies:
            custom = reply.custom or {}
            if HANDOFF_KEY in custom:
                payloads.append(HandoffPayload.from_message(custom))
            elif OUTCOME_KEY in custom:
                outcomes.add(str(custom[OUTCOME_KEY]))
            elif custom.get(ASK_MARKER) == "phone":  # the next digits are a number, masked
                asks_number = True
            elif reply.text or reply.image:
                visible.append(reply)
        if "fallback" in outcomes and await self.rasa.actions_down():
            outcomes.add("unavailable")  # Rasa's error reply: its action server is down
        if "unavailable" in outcomes:
            visible = [OutboundMessage(text=texts.text(language, "trouble"))]
            payloads = [
                HandoffPayload(
                    conversation_id=message.conversation_id,
                    reason=HandoffReason.BOT_UNAVAILABLE,
                    priority=Priority.HIGH,
                    language=language,
                    summary=f"bot unavailable; last message: {message.text[:200]}",
                )
            ]
        outcome = outcome_label(outcomes, bool(payloads))
        BOT_TURNS.labels(outcome).inc()
        if outcome == "miss" and suggests(visible):
            outcome = "suggest"  # the nearest articles offered: a hedged answer
        no_answer = any(p.reason == HandoffReason.NO_ANSWER for p in payloads)
        if self.callbacks.changes_wait(message.conversation_id, asks_number):
            await asyncio.to_thread(self.callbacks.asked, message.conversation_id, asks_number)

        def record(db: Session) -> None:
            now = self.desk.clock()
            record_turn(db, message, outcome, language, turn, no_answer, now)

        # One commit: the replies, the turn's outcome (and a content gap, if it is one),
        # and (with no handoff to open after them) the end of the turn.
        gap = turn is not None and gaps.recorded(outcome, no_answer)
        sent = await self.outbox.deliver(
            message.conversation_id,
            visible,
            "bot",
            with_replies=record if gap else None,
            ends_turn=not payloads,
            outcome=None if gap else (outcome, self.desk.clock()),
        )
        for payload in payloads:
            sent += await self._open(payload, message, turn)
        return sent

    async def bot_failed(
        self, message: InboundMessage, language: Language, stored: Message, tries: int
    ) -> None:
        """A turn that failed every retry (a dead letter): the user is told, and the
        conversation is queued on the desk, flagged, for an agent to answer."""
        conversation = message.conversation_id
        self.inbox.tag(conversation, "bot_failed")
        await self.outbox.tell(conversation, language, "trouble")
        payload = HandoffPayload(
            conversation_id=conversation,
            reason=HandoffReason.BOT_FAILED,
            priority=Priority.HIGH,
            language=language,
            summary=f"the bot could not answer this message ({tries} retries failed): "
            f"{stored.text[:200]}",
            # The message's time: a second give-up (its process died) is the same handoff.
            created_at=f"{stored.created_at.isoformat()}#{stored.id}",
        )
        await self.desk.open(payload, message.channel)

    async def delivery_failed(self, conversation: str, message_id: int) -> None:
        """A reply that could not be delivered after every retry (a dead letter): the
        conversation is queued on the desk, flagged, for an agent to reach the user."""
        self.inbox.tag(conversation, "delivery_failed")
        hint = await asyncio.to_thread(self.inbox.language_of, conversation)
        payload = HandoffPayload(
            conversation_id=conversation,
            reason=HandoffReason.DELIVERY_FAILED,
            priority=Priority.HIGH,
            language=normalise_language(hint) or DEFAULT_LANGUAGE,
            summary=f"reply {message_id} could not be delivered after every retry",
            created_at=f"delivery#{message_id}",
        )
        await self.desk.open(payload, conversation.partition(":")[0])
