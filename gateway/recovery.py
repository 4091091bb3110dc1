"""Recovery: the turns a dead process stored but never answered, finished by whichever
gateway runs the ``unfinished_turns`` job (:meth:`gateway.router.Router.recover`).

Bounded: each take-over counts on the message, a failed one waits longer each time,
and past the bound the turn is a dead letter an agent answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from common.clock import utcnow
from common.language import DEFAULT_LANGUAGE, Language, normalise_language
from common.messages import InboundMessage
from common.metrics import RETRIES
from guard import Verdict
from handoff import Inbound
from handoff.answering import answering

if TYPE_CHECKING:
    from gateway.router import Router

log = logging.getLogger(__name__)

# Recovered turns in flight at once: enough to drain a dead gateway's backlog
# quickly, few enough to leave Rasa to the users who are writing now.
RECOVERY_CONCURRENCY = 8


async def recover_turns(router: Router) -> int:
    """Finish the turns of messages a dead process stored but never answered.

    Conversations are recovered side by side (a dead gateway leaves dozens, and
    each waits for Rasa); one conversation's turns run in the order they came.
    """
    # Replies a dead process stored and never sent go first, in the order stored.
    await router.outbox.resend_stuck()
    stale = await asyncio.to_thread(router.inbox.take_stale_turns)
    by_conversation: defaultdict[str, list[Inbound]] = defaultdict(list)
    for stored in stale:
        by_conversation[stored.message.conversation_id].append(stored)
    slots = asyncio.Semaphore(RECOVERY_CONCURRENCY)

    async def conversation(turns: list[Inbound]) -> None:
        async with slots:
            for stored in turns:
                await _recover(router, stored)

    await asyncio.gather(*(conversation(turns) for turns in by_conversation.values()))
    return len(stale)


async def _recover(router: Router, stored: Inbound) -> None:
    conversation, message_id = stored.message.conversation_id, stored.message.id
    if await asyncio.to_thread(router.inbox.answered, message_id):
        # Its process died after storing the answer: asking the bot again would
        # answer twice. Replies it left unsent are the outbox's (resend_stuck).
        log.warning("message %s's turn had its answer stored: finished", message_id)
        await asyncio.to_thread(router.inbox.finish, message_id)
        return
    channel, _, user_id = conversation.partition(":")
    hint = await asyncio.to_thread(router.inbox.language_of, conversation)
    language = normalise_language(hint) or DEFAULT_LANGUAGE
    message = InboundMessage(channel, user_id, stored.message.text, language=language)
    if stored.attempts > router.settings.turn_retries:
        await _give_up(router, message, language, stored)
        return
    log.warning("finishing message %s's turn (attempt %d)", message_id, stored.attempts)
    RETRIES.labels("turn_recovered").inc()
    # Only whether it is a piece is decided again (the text is as stored): a
    # recovered piece must not reach Rasa either.
    piece = router.guard.inspect(conversation, message.text, hash_expected=True)
    verdict = Verdict(message.text, fragment_words=piece.fragment_words)
    try:
        async with router._turn(conversation):
            with answering(conversation, message_id) as state:
                await router._route(message, language, stored, verdict)
    except Exception:
        # Tried again later, and later still each time, up to the bound.
        wait = router.settings.turn_retry_seconds * 2 ** max(0, stored.attempts - 1)
        log.exception("recovered turn of message %s failed; again in %.0f s", message_id, wait)
        retry_at = utcnow() + timedelta(seconds=wait)
        await asyncio.to_thread(router.inbox.abandon, message_id, retry_at)
        return
    if not state.finished:
        await asyncio.to_thread(router.inbox.finish, message_id)


async def _give_up(
    router: Router, message: InboundMessage, language: Language, stored: Inbound
) -> None:
    """A dead letter: the user is told, and an agent is asked to answer the message."""
    message_id = stored.message.id
    tries = stored.attempts - 1
    log.error("message %s's turn failed %d recoveries: handed to an agent", message_id, tries)
    RETRIES.labels("turn_dead").inc()
    # Handed over first: if that fails, the turn stays pending and is tried again.
    await router.answers.bot_failed(message, language, stored.message, tries)
    why = f"the bot could not answer this message ({tries} recoveries failed)"
    await asyncio.to_thread(router.inbox.dead_letter, message_id, why)
