"""One decision per message: the rule lives in :mod:`faq_kb.decision`.

It moved there so the console's "Try it" (handoff, which may not import the bot)
runs exactly the rule the bot runs; the bot and the tuner import it from here as
before.
"""

from faq_kb.decision import (
    ARTICLE_FLOWS,
    FLOWS,
    TOPIC_FLOWS,
    Candidate,
    Decision,
    Flow,
    Kind,
    Thresholds,
    decide,
)

__all__ = [
    "ARTICLE_FLOWS",
    "FLOWS",
    "TOPIC_FLOWS",
    "Candidate",
    "Decision",
    "Flow",
    "Kind",
    "Thresholds",
    "decide",
]
