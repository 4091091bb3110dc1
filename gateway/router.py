"""The router: where each user message goes, from any channel.

1. The guard reads it first: past that point only the redacted text exists.
2. The inbox stores it, pending (nothing is lost, whatever fails next; Rasa may be
   asked meanwhile, :mod:`gateway.early`, but nothing answers it before the commit).
3. A shared secret gets a warning and a human, and never reaches the bot; nor does a
   message that looks like a piece of a phrase sent in several (it gets a warning); a
   message too long for the bot is kept for an agent; a scam report gets a warning,
   and its question is answered all the same.
4. If a human holds the conversation (a queued live chat, or a session an agent
   has claimed), the message is for the desk: the bot stays silent.
5. A rating answer after a resolved session is recorded, not sent to Rasa; a file
   sent without words (a web chat upload) is kept for the agent, and the user told.
6. Otherwise Rasa answers (:mod:`gateway.answers` reads its replies); a handoff
   payload opens a session, and Rasa being down hands the user to a human.
7. The outbox stores the replies and sends them on the same channel.

A stored message stays *pending* until its turn is done. If the process dies in
between, or the turn fails, :meth:`Router.recover` (a job, in whichever process
takes it) takes the turn over and runs it again, so a killed gateway loses no
answer: a turn whose answer was already stored is not run again (its replies left
unsent are sent by the outbox), a failed attempt waits longer each time, and a turn
taken over more than ``turn_retries`` times is dead: the user is told, and the
conversation goes to the desk flagged "bot_failed".

:meth:`Router.accept` stores a message and answers it in the background, for a
platform that only needs to know it is safe (Telegram's webhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import asdict

from common.language import DEFAULT_LANGUAGE, Language, normalise_language
from common.messages import MAX_TEXT, InboundMessage, OutboundMessage
from common.settings import DeskSettings
from connectors import Turn
from gateway.answers import Answers
from gateway.background import Background
from gateway.early import Asked, committed, dropped, straight_to_rasa
from gateway.intake import guarded
from gateway.rasa import RasaClient, RasaUnavailable
from gateway.recovery import recover_turns
from guard import Guard, Verdict
from handoff import Inbound, Inbox, Outbox, Ratings
from handoff.answering import answering

log = logging.getLogger(__name__)

# What the router has taken in: the message as the guard left it, its language, the
# stored row, and the guard's verdict.
_Taken = tuple[InboundMessage, Language, Inbound, Verdict]


class Router:
    """Implements :class:`connectors.MessageRouter` for every channel."""

    def __init__(
        self,
        inbox: Inbox,
        outbox: Outbox,
        ratings: Ratings,
        answers: Answers,
        guard: Guard,
        rasa: RasaClient,
        settings: DeskSettings | None = None,
    ) -> None:
        self.settings = settings or inbox.settings
        self.inbox = inbox
        self.outbox = outbox
        self.ratings = ratings
        self.answers = answers
        self.guard = guard
        self._rasa = rasa
        # One turn at a time per conversation, so replies keep the order of messages.
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.background = Background(self.settings.background_turns)

    async def handle(self, message: InboundMessage) -> Turn:
        """Route one inbound message; returns it as stored and what was sent back.
        Rasa may be asked while it is being stored (:mod:`gateway.early`)."""
        conversation = message.conversation_id
        async with self._turn(conversation):
            message, language, verdict, numbers = guarded(self, message)
            look, storing = await self.inbox.receive_early(
                conversation,
                message.channel,
                language,
                message.title or message.text,
                asdict(message.attachment) if message.attachment else None,
                dedup_key=message.dedup_key,
            )
            asked: Asked | None = None
            tickets_only = self.outbox.tickets_only(conversation)
            if look is not None and straight_to_rasa(message, verdict, look, tickets_only):
                asked = asyncio.ensure_future(self._rasa.send(message))
            try:
                stored = await committed(storing, self.inbox)  # only now is it answered
                if stored.duplicate:
                    dropped(asked)
                    return Turn(stored.message, duplicate=True)
                self.answers.callbacks.keep(conversation, numbers)
                return await self._answer(message, language, stored, verdict, asked)
            finally:
                if asked is not None and not asked.done():
                    dropped(asked)  # the turn failed before it read Rasa's answer

    async def accept(self, message: InboundMessage) -> Turn:
        """Store *message* (its turn pending) and answer it in the background.

        Returns once it is stored; the turn's ``rest`` is the answer, running. A
        process killed before it finishes leaves the turn pending for the recovery job.
        Turns of one conversation still run one at a time, in the order accepted.
        """
        taken = await self._take(message)
        if isinstance(taken, Turn):
            return taken

        async def rest() -> Turn:
            async with self._turn(message.conversation_id), self.background.slots:
                return await self._answer(*taken)

        return Turn(taken[2].message, rest=self.background.start(rest()))

    async def keep(self, message: InboundMessage) -> Turn:
        """Store *message* for the agent only: nobody answers it."""
        stored = self._receive(message)
        return Turn(stored.message, duplicate=stored.duplicate)

    async def answer(self, message: InboundMessage, reply: OutboundMessage) -> Turn:
        """Store *message* and send the channel's own *reply* to it."""
        stored = self._receive(message)
        if stored.duplicate:
            return Turn(stored.message, duplicate=True)
        sent = await self.outbox.deliver(message.conversation_id, [reply], "system")
        return Turn(stored.message, sent)

    def scrub(self, text: str) -> str:
        """*text* with any secret redacted, for what a channel keeps beside the message."""
        return self.guard.scrub(text)

    def _receive(self, message: InboundMessage) -> Inbound:
        language = normalise_language(message.language) or DEFAULT_LANGUAGE
        conversation = message.conversation_id
        text = self.answers.callbacks.mask(conversation, message.text).text  # an edit, say
        return self.inbox.receive(
            conversation, message.channel, language, text, dedup_key=message.dedup_key
        )

    @contextlib.asynccontextmanager
    async def _turn(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._locks[conversation_id]
        try:
            async with lock:
                yield
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(conversation_id, None)

    async def _take(self, message: InboundMessage) -> _Taken | Turn:
        """The guard, then the store: the message as taken in, or a duplicate's Turn."""
        message, language, verdict, numbers = guarded(self, message)
        conversation = message.conversation_id
        stored = self.inbox.receive(
            conversation,
            message.channel,
            language,
            message.title or message.text,
            asdict(message.attachment) if message.attachment else None,
            guarded=True,
            dedup_key=message.dedup_key,
            pending=True,
            echo=True,
        )
        if stored.duplicate:
            return Turn(stored.message, duplicate=True)
        self.answers.callbacks.keep(conversation, numbers)
        return message, language, stored, verdict

    async def _answer(
        self,
        message: InboundMessage,
        language: Language,
        stored: Inbound,
        verdict: Verdict,
        asked: Asked | None = None,
    ) -> Turn:
        conversation = message.conversation_id
        # Counted only now: a retry the store found to be a duplicate returned above.
        count = asyncio.to_thread(self.guard.count, conversation, stored.message.id, verdict)
        # An ordinary message only ends the run of pieces (a delete in Redis): nothing in
        # this turn waits for it, so it runs alongside, done before the turn ends.
        ending_run = asyncio.ensure_future(count) if verdict.breaks_run else None
        try:
            if ending_run is None:
                await count
            return await self._answer_counted(message, language, stored, verdict, asked)
        finally:
            if ending_run is not None:
                await ending_run

    async def _answer_counted(
        self,
        message: InboundMessage,
        language: Language,
        stored: Inbound,
        verdict: Verdict,
        asked: Asked | None,
    ) -> Turn:
        conversation = message.conversation_id
        if verdict.earlier_fragments:  # the last piece too: it is stored, in clear, by now
            verdict.earlier_fragments.append(stored.message.id)
        if not stored.echoed:  # else written and published with the message
            await self.outbox.echo(stored.message)
        try:
            with answering(conversation, stored.message.id) as state:
                turn = await self._route(message, language, stored, verdict, asked)
        except BaseException:
            # Not finished, and this process lives on: hand the turn to the recovery
            # job (which runs it again, up to its bound, in whichever process) rather
            # than leave it pending under a live handler forever.
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self.inbox.abandon, stored.message.id)
            raise
        if not state.finished:  # else finished in the commit that stored its answer
            await asyncio.to_thread(self.inbox.finish, stored.message.id)
        return turn

    async def recover(self) -> int:
        """Finish the turns of messages a dead process stored but never answered
        (:mod:`gateway.recovery`)."""
        return await recover_turns(self)

    async def _ticket(
        self, message: InboundMessage, language: Language, stored: Inbound, turn: Turn
    ) -> Turn:
        if stored.rating_open is not None:
            rated = await self.ratings.take(
                message.conversation_id, stored.rating_open, message.text
            )
            if rated is not None:
                turn.replies += rated
                return turn
        if stored.held is None:
            turn.replies += await self.answers.ticket(message, language, turn)
        return turn

    async def _route(
        self,
        message: InboundMessage,
        language: Language,
        stored: Inbound,
        verdict: Verdict,
        asked: Asked | None = None,
    ) -> Turn:
        """*asked*: Rasa's answer, asked for already (only for a message that reaches
        the last step: ``gateway.early.straight_to_rasa``)."""
        conversation = message.conversation_id
        turn = Turn(stored.message, language=language)
        if stored.undelivered:  # the user can be reached again: kept replies go first
            await self.outbox.redeliver(conversation)
        if verdict.leaked:
            turn.replies = await self.answers.secret_shared(message, language, verdict, turn)
            return turn
        if verdict.piece:  # Rasa's tracker would keep it in clear, past any redaction
            turn.replies = await self.answers.piece_held(message, language, stored.message.id)
            return turn
        if verdict.scam:  # the warning comes first, and the question still gets its answer
            turn.replies = await self.answers.scam_reported(message, language)
            # The bot answers with the scam's article when it finds no better one.
            message.metadata["scam"] = verdict.scam_signals
        if self.outbox.tickets_only(conversation):  # email: for the desk, answered once
            return await self._ticket(message, language, stored, turn)
        if len(message.text) > MAX_TEXT:  # kept above for the agent, not sent to Rasa
            turn.replies += await self.outbox.tell(
                conversation, language, "too_long", limit=MAX_TEXT
            )
            return turn
        if stored.held is not None:
            return turn
        if message.metadata.get("file_only"):  # a file without words: the bot can't read it
            turn.replies += await self.outbox.tell(conversation, language, "file_kept")
            return turn
        if stored.rating_open is not None:
            rated = await self.ratings.take(conversation, stored.rating_open, message.text)
            if rated is not None:
                turn.replies += rated
                return turn
        try:
            replies = await (asked if asked is not None else self._rasa.send(message))
        except RasaUnavailable as exc:
            log.warning("Rasa unavailable for %s: %s", conversation, exc)
            replies = [self.answers.unavailable()]
        turn.replies += await self.answers.from_bot(message, language, replies, turn)
        return turn
