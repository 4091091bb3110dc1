"""A scam report's article, when the knowledge base finds no better one.

The gateway's guard recognises a report of a scam in progress (fake support, a fee to
release funds, an off-site "verification", an app sent by link), warns the user first, and
tells the bot which signs it saw (``metadata["scam"]``: names only). A report worded as a
story ("when I tried to withdraw they said I must pay 20% tax first") often matches no
article well; the warning followed by "I found no article" leaves the user with half an
answer, while the scam's own article says what to do next.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from bot.decision import Decision


def reported_scam_article(tracker: Tracker) -> str | None:
    """The article for the signs the guard saw in the latest message, if any: an app sent
    by someone is the fake-app article's, every other sign is fake support's."""
    signals = (tracker.latest_message.get("metadata") or {}).get("scam") or []
    if not isinstance(signals, list) or not signals:
        return None
    return "fake-app" if "sent_app" in signals else "scam-impersonation"


def with_scam_article(decision: Decision, article: str | None) -> Decision:
    """*decision*, unless it leaves a scam report without an answer: a miss or an
    "outside what I can help with" gets *article*, and a question back between two
    articles one of which is *article* gets that one. An answer or a flow stands."""
    if article is None:
        return decision
    if decision.kind in ("miss", "out_of_scope"):
        return Decision("answer", article=article, rule="scam report: its article")
    if decision.kind == "clarify" and article in decision.options:
        return Decision("answer", article=article, rule="scam report: one of two close")
    return decision
