"""The turn being answered in this task: which user message, and whether it is done.

Replies stored while it is set record the message they answer (``Message.reply_to``),
so the recovery job knows a turn whose answer was stored must not run again. A
context variable rather than a parameter: replies come from the bot, the desk, the
ratings and the guard's warnings, all within the router's turn.

The reply that ends the turn (the bot's answer, with nothing to open after it) clears
the turn's pending flag in the transaction that stores it (``Outbox.deliver`` with
``ends_turn``): one commit instead of two, and no moment at which the answer is stored
but the turn still pending. :attr:`Answering.finished` tells the router it need not
finish the turn again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Answering:
    conversation_id: str
    message_id: int
    finished: bool = False  # the pending flag was cleared with the turn's last reply


_answering: ContextVar[Answering | None] = ContextVar("answering", default=None)


@contextlib.contextmanager
def answering(conversation_id: str, message_id: int) -> Iterator[Answering]:
    """Replies stored within answer user message *message_id*."""
    state = Answering(conversation_id, message_id)
    token = _answering.set(state)
    try:
        yield state
    finally:
        _answering.reset(token)


def answered_turn(conversation_id: str) -> Answering | None:
    """The turn of *conversation_id* this task is answering, if any."""
    state = _answering.get()
    return state if state is not None and state.conversation_id == conversation_id else None
