"""How a bot turn is labelled for metrics and analytics (and recorded for the latter),
and an email's one-line summary."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from common.messages import InboundMessage, OutboundMessage
from connectors import Turn
from handoff import gaps
from store import outcomes

log = logging.getLogger(__name__)

# Buttons a miss may carry that are not articles: a human, and yes/no to the offer of one.
_NOT_ARTICLES = ("/request_human", "/affirm", "/deny")


def suggests(replies: list[OutboundMessage]) -> bool:
    """Whether the replies offer articles as buttons (a miss with the nearest ones)."""
    return any(p not in _NOT_ARTICLES for r in replies for _title, p in r.buttons)


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else "(no text)"


def outcome_label(outcomes: set[str], handoff: bool) -> str:
    """The turn's label in ``support_bot_turns_total``."""
    if "unavailable" in outcomes:
        return "unavailable"
    if handoff:
        return "handoff"
    for outcome in ("fallback", "miss", "clarify", "out_of_scope"):
        if outcome in outcomes:
            return outcome
    return "answer"


def record_turn(
    db: Session,
    message: InboundMessage,
    outcome: str,
    language: str,
    turn: Turn | None,
    no_answer: bool,
    now: datetime,
) -> None:
    """Keep the turn's outcome for analytics (store.outcomes), and the message as a
    content gap when the bot had no good answer (handoff.gaps; *no_answer*: a handoff
    for no answer), in the transaction that stores the replies.

    A figure lost is better than a reply lost: the outcome is checked before it is
    added (its row has nothing else that can fail), and the gap, which reads and
    writes more, sits in a SAVEPOINT that is rolled back alone if it fails."""
    conversation = message.conversation_id
    try:
        outcomes.record(db, conversation, outcome, now)
    except ValueError:
        log.exception("could not record the outcome of a turn in %s", conversation)
    if turn is None or not gaps.recorded(outcome, no_answer):
        return
    try:
        with db.begin_nested():
            gaps.after_turn(db, turn.message, outcome, language, message.channel, no_answer, now)
    except Exception:
        log.exception("could not record a content gap in %s", conversation)
