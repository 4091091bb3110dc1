"""How a bot turn is labelled for metrics and analytics, and an email's one-line summary."""

from __future__ import annotations

from common.messages import OutboundMessage

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
