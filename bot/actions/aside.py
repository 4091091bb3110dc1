"""A question asked in the middle of a form is answered there, and the form goes on.

Without this, "how much is the network fee?" typed while the missing-transfer form waits
for a network got "I don't recognise that network": the form took every message as its
answer. Only a message the NLU reads as a question (not as a form answer) is looked up,
and only a confident answer interrupts; anything else is still a wrong answer to the
form's question.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.shared import knowledge_base, language_of, latest_text, search_latest
from bot.decision import ARTICLE_FLOWS, Candidate, decide

# Intents that are questions rather than answers to the form's question.
QUESTION_INTENTS = frozenset({"ask_faq", "nlu_fallback", "out_of_scope"})


def answered_aside(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answer the message as a question if it confidently is one; say whether it was."""
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    text = latest_text(tracker)
    if name not in QUESTION_INTENTS or not text.strip() or text.startswith("/"):
        return False
    kb = knowledge_base()
    hits = [Candidate(h.article_id, h.score) for h in search_latest(tracker)]
    decision = decide(str(name), float(intent.get("confidence") or 0.0), hits)
    article = decision.article
    # A flow's article would start a second form inside this one: not an aside.
    if decision.kind != "answer" or article is None or article in ARTICLE_FLOWS:
        return False
    dispatcher.utter_message(text=kb.answer(article, language_of(tracker)))
    dispatcher.utter_message(json_message={"outcome": "answer", "article": article})
    return True
