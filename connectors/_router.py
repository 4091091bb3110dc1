"""The router: store every message, then the desk or Rasa, then reply on the same channel.

1. Persist the inbound message (nothing is lost, whatever fails next).
2. If a human holds the conversation (a queued live chat, or a session an agent
   has claimed), the message is for the desk: the bot stays silent.
3. A rating answer after a resolved session is recorded, not sent to Rasa.
4. Otherwise Rasa answers; a handoff payload in its replies opens a session.
5. If Rasa or its action server is down, the user is told so in their language
   and the conversation goes to a human (or becomes a ticket).

A stored message stays *pending* until its turn is done. If the process dies in
between, :meth:`Router.recover` (a job, in whichever process takes it) runs the
turn again, so a killed gateway loses no answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

from common.language import DEFAULT_LANGUAGE, Language, detect_language, normalise_language
from common.metrics import BOT_TURNS, RETRIES
from connectors._message import MAX_TEXT, InboundMessage, OutboundMessage
from connectors._rasa import RasaClient, RasaUnavailable
from guard import Verdict
from handoff import texts
from handoff.payload import HANDOFF_KEY, HandoffPayload, HandoffReason, Priority

if TYPE_CHECKING:  # the desk imports the connector interface: no import cycle at run time
    from handoff.desk import Desk, Inbound
    from handoff.models import Message

log = logging.getLogger(__name__)

# Recovered turns in flight at once: enough to drain a dead gateway's backlog
# quickly, few enough to leave Rasa to the users who are writing now.
RECOVERY_CONCURRENCY = 8
OUTCOME_KEY = "outcome"  # {"outcome": "fallback"}: how the bot's turn went, for metrics

_TROUBLE = {
    "zh": "抱歉，我们的系统暂时出了点问题。您的消息已保存，人工客服会接手这个对话。",
    "en": "Sorry, we're having trouble right now. Your message is saved, "
    "and a human agent will take over this conversation.",
    "es": "Lo sentimos, tenemos un problema técnico. Tu mensaje está guardado "
    "y un agente se hará cargo de esta conversación.",
}
_TOO_LONG = {
    "zh": f"消息太长了（最多 {MAX_TEXT} 个字符），请分几条发送。",
    "en": f"That message is too long (at most {MAX_TEXT} characters). Please send it in parts.",
    "es": f"El mensaje es demasiado largo (máximo {MAX_TEXT} caracteres). Envíalo en partes.",
}


@dataclass
class Turn:
    """One routed message: the stored user message and what was sent back."""

    message: Message
    replies: list[OutboundMessage] = field(default_factory=list)
    duplicate: bool = False  # a retry of a message already stored; nothing was done


class Router:
    def __init__(self, desk: Desk, rasa: RasaClient) -> None:
        self.desk = desk
        self._rasa = rasa
        # One turn at a time per conversation, so replies keep the order of messages.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def handle(self, message: InboundMessage) -> Turn:
        """Route one inbound message; returns it as stored and what was sent back."""
        async with self._turn(message.conversation_id):
            return await self._handle(message)

    @contextlib.asynccontextmanager
    async def _turn(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._locks[conversation_id]
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(conversation_id, None)

    async def _handle(self, message: InboundMessage) -> Turn:
        # The guard first: past this line the original text exists nowhere, only the
        # redacted one is stored, logged, sent to Rasa or shown to an agent.
        conversation = message.conversation_id
        verdict = self.desk.guard.inspect(
            conversation, message.text, hash_expected=lambda: self.desk.asked_for_hash(conversation)
        )
        title = self.desk.guard.scrub(message.title) if message.title else None
        message = replace(message, text=verdict.text, title=title)
        language = normalise_language(message.language) or detect_language(message.text)
        language = language or DEFAULT_LANGUAGE
        shown = message.title or message.text
        attachment = asdict(message.attachment) if message.attachment else None
        stored = self.desk.store_user_message(
            message.conversation_id,
            message.channel,
            language,
            shown,
            attachment,
            guarded=True,
            dedup_key=message.dedup_key,
            pending=True,
        )
        if stored.duplicate:
            return Turn(stored.message, duplicate=True)
        self.desk.guard.remember_message(conversation, stored.message.id)
        try:
            turn = await self._route(message, language, stored, verdict)
        except BaseException:
            # Not finished, and this process lives on: hand the turn to the recovery
            # job (which runs it once more, in whichever process) rather than leave
            # it pending under a live handler forever.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.desk.abandon, stored.message.id)
            raise
        self.desk.finish(stored.message.id)
        return turn

    async def recover(self) -> int:
        """Finish the turns of messages a dead process stored but never answered.

        Conversations are recovered side by side (a dead gateway leaves dozens, and
        each waits for Rasa); one conversation's turns run in the order they came.
        """
        stale = await asyncio.to_thread(self.desk.take_stale_turns)
        by_conversation: defaultdict[str, list[Inbound]] = defaultdict(list)
        for stored in stale:
            by_conversation[stored.message.conversation_id].append(stored)
        slots = asyncio.Semaphore(RECOVERY_CONCURRENCY)

        async def conversation(turns: list[Inbound]) -> None:
            async with slots:
                for stored in turns:
                    await self._recover(stored)

        await asyncio.gather(*(conversation(turns) for turns in by_conversation.values()))
        return len(stale)

    async def _recover(self, stored: Inbound) -> None:
        conversation = stored.message.conversation_id
        channel, _, user_id = conversation.partition(":")
        hint = await asyncio.to_thread(self.desk.language_of, conversation)
        language = normalise_language(hint) or DEFAULT_LANGUAGE
        message = InboundMessage(channel, user_id, stored.message.text, language=language)
        log.warning("finishing message %s's turn, left by a dead process", stored.message.id)
        RETRIES.labels("turn_recovered").inc()
        try:
            async with self._turn(conversation):
                await self._route(message, language, stored, Verdict(message.text))
        except Exception:
            # Once from a live process, as for any turn; only a death retries it.
            log.exception("the recovered turn of message %s failed", stored.message.id)
        await asyncio.to_thread(self.desk.finish, stored.message.id)

    async def _route(
        self, message: InboundMessage, language: Language, stored: Inbound, verdict: Verdict
    ) -> Turn:
        conversation = message.conversation_id
        turn = Turn(stored.message)
        if stored.undelivered:  # the user can be reached again: kept replies go first
            await self.desk.redeliver(message.conversation_id)
        if verdict.leaked:
            turn.replies = await self._secret_shared(message, language, verdict)
        elif verdict.scam:
            self.desk.tag(conversation, "scam_report")
            channels = ", ".join(self.desk.service.domain_list)
            turn.replies = await self.desk.deliver(
                conversation,
                [OutboundMessage(text=texts.text(language, "scam", channels=channels))],
                "system",
            )
        elif len(message.text) > MAX_TEXT:  # kept above for the agent, not sent to Rasa
            turn.replies = await self.desk.deliver(
                message.conversation_id, [OutboundMessage(text=_TOO_LONG[language])], "system"
            )
        elif stored.held is None:
            if stored.rating_open is not None:
                rated = await self.desk.take_rating(
                    message.conversation_id, stored.rating_open, message.text
                )
                if rated is not None:
                    turn.replies = rated
                    return turn
            try:
                replies = await self._rasa.send(message)
            except RasaUnavailable as exc:
                log.warning("Rasa unavailable for %s: %s", message.conversation_id, exc)
                replies = [OutboundMessage(custom={OUTCOME_KEY: "unavailable"})]
            turn.replies = await self._answer(message, language, replies)
        return turn

    async def _secret_shared(
        self, message: InboundMessage, language: Language, verdict: Verdict
    ) -> list[OutboundMessage]:
        """Warn at once, and have a human follow up. Nothing of it goes to the bot."""
        conversation = message.conversation_id
        kind = verdict.secrets[0]
        if verdict.earlier_fragments:
            self.desk.redact_messages(verdict.earlier_fragments, kind)
        self.desk.tag(conversation, "secret_shared")
        article = f"{self.desk.service.help_center_url.rstrip('/')}/seed-phrase-safety"
        warning = texts.text(
            language, "secret", kind=texts.SECRET_KINDS[language][kind], article=article
        )
        sent = await self.desk.deliver(conversation, [OutboundMessage(text=warning)], "system")
        BOT_TURNS.labels("secret_shared").inc()
        payload = HandoffPayload(
            conversation_id=conversation,
            reason=HandoffReason.SECURITY,
            priority=Priority.HIGH,
            language=language,
            summary=f"security: the user sent a {' and a '.join(verdict.secrets)} "
            "(redacted, never stored); warned to move funds to a new wallet",
        )
        _session, notices = await self.desk.open(payload, message.channel)
        return sent + notices

    async def _answer(
        self, message: InboundMessage, language: Language, replies: list[OutboundMessage]
    ) -> list[OutboundMessage]:
        payloads: list[HandoffPayload] = []
        outcomes: set[str] = set()
        visible: list[OutboundMessage] = []
        for reply in replies:
            custom = reply.custom or {}
            if HANDOFF_KEY in custom:
                payloads.append(HandoffPayload.from_message(custom))
            elif OUTCOME_KEY in custom:
                outcomes.add(str(custom[OUTCOME_KEY]))
            elif reply.text or reply.image:
                visible.append(reply)
        if "fallback" in outcomes and await self._rasa.actions_down():
            outcomes.add("unavailable")  # Rasa's error reply: its action server is down
        if "unavailable" in outcomes:
            visible = [OutboundMessage(text=_TROUBLE[language])]
            payloads = [
                HandoffPayload(
                    conversation_id=message.conversation_id,
                    reason=HandoffReason.BOT_UNAVAILABLE,
                    priority=Priority.HIGH,
                    language=language,
                    summary=f"bot unavailable; last message: {message.text[:200]}",
                )
            ]
        outcome = (
            "unavailable"
            if "unavailable" in outcomes
            else "handoff"
            if payloads
            else "fallback"
            if "fallback" in outcomes
            else "out_of_scope"
            if "out_of_scope" in outcomes
            else "answer"
        )
        BOT_TURNS.labels(outcome).inc()
        sent = await self.desk.deliver(message.conversation_id, visible, "bot")
        for payload in payloads:
            _session, notices = await self.desk.open(payload, message.channel)
            sent += notices
        return sent
