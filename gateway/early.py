"""Rasa asked while the user's message is still being stored.

The web chat's turn used to be three waits in a row: the transaction that stores the
user's message (tx1), Rasa's answer, and the transaction that stores the reply (tx2).
Once tx1's first query has seen who answers the message (a human holding the
conversation, an open rating question, kept replies, a duplicate delivery), the rest
of tx1 (the insert, the conversation's update, the console events and the commit)
changes nothing Rasa is told, so it runs while Rasa answers (``Inbox.receive_early``).

The order that matters is kept: nothing is stored as an answer, and nothing is
returned to the user, before tx1 has committed; the router awaits it before it
reads Rasa's replies. What is new is a message Rasa may have seen before it was
stored. A gateway killed between Rasa's answer and tx1's commit stored nothing, so
there is nothing to recover: the user got no reply (the request failed) and the page
sends the message again, with the same client id; as a first delivery (the key was
never committed) it is stored once and answered once, and Rasa sees it a second time,
as it does when a recovered turn asks it again after a gateway died mid-turn.
Once tx1 committed, a dead gateway's turn is pending and recovered as before
(``gateway.recovery``). ``tests/scale/test_early_kill.py`` kills a gateway in that
window.

Only a message that goes straight to Rasa is sent early: one whose turn, in
``Router._route``, stores nothing before asking Rasa and can't be held back from it.
Everything else waits for tx1 as before.
"""

from __future__ import annotations

import asyncio
import contextlib

from common.messages import MAX_TEXT, InboundMessage, OutboundMessage
from guard import Verdict
from handoff.inbox import Inbound, Inbox, Look

Asked = asyncio.Future[list[OutboundMessage]]
_left: set[asyncio.Future[None]] = set()  # abandoning turns, held until done


def straight_to_rasa(
    message: InboundMessage, verdict: Verdict, look: Look, tickets_only: bool
) -> bool:
    """Whether ``Router._route`` would send *message* to Rasa with nothing before it.

    The guard's side must be settled before the message is stored: an ordinary
    message (``breaks_run``: no secret, no piece of one, nothing the run of pieces
    can turn into one) that reports no scam (its warning is stored first)."""
    return (
        verdict.breaks_run
        and not verdict.secrets
        and not verdict.fragment_words
        and not verdict.scam
        and look.held is None
        and look.rating_open is None
        and not look.undelivered
        and not tickets_only
        and len(message.text) <= MAX_TEXT
        and not message.metadata.get("file_only")
    )


def dropped(asked: Asked | None) -> None:
    """Rasa's early answer, not wanted after all (the turn failed): cancelled, and any
    failure of it consumed rather than logged as never retrieved."""
    if asked is None:
        return
    asked.cancel()
    if asked.done() and not asked.cancelled():
        with contextlib.suppress(BaseException):
            asked.exception()


async def committed(storing: asyncio.Future[Inbound], inbox: Inbox) -> Inbound:
    """The message, once its transaction committed. A turn cancelled meanwhile (its
    client gone, the process stopping) lets the store run on, events published, and
    leaves the stored message to the recovery job, as ``Router._answer_counted`` does
    with a turn cancelled later."""
    try:
        return await asyncio.shield(storing)
    except asyncio.CancelledError:
        storing.add_done_callback(lambda done: _abandon(inbox, done))
        raise


def _abandon(inbox: Inbox, done: asyncio.Future[Inbound]) -> None:
    if done.cancelled() or done.exception() is not None or done.result().duplicate:
        return
    task = asyncio.ensure_future(asyncio.to_thread(inbox.abandon, done.result().message.id))
    _left.add(task)
    task.add_done_callback(_left.discard)
