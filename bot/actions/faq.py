"""Answers from the knowledge base, and what happens when there is none."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.chain import chain_lookup, check_transaction, explorer_link
from bot.actions.shared import knowledge_base, language_of, latest_intent, latest_text
from bot.nlu.vocabulary import CHAIN_NAMES
from common.payload import HandoffReason
from common.settings import kb_settings

FAILED_TURNS_BEFORE_OFFER = 2

# Intents whose answer is one known article, followed by an offer of a human.
INTENT_ARTICLES: dict[str, tuple[str, HandoffReason]] = {
    "account_locked": ("account-locked", HandoffReason.ACCOUNT_LOCKED),
}


def offer_human(dispatcher: CollectingDispatcher, reason: HandoffReason) -> list[EventType]:
    dispatcher.utter_message(response="utter_offer_human")
    return [SlotSet("pending_question", "offer_human"), SlotSet("handoff_reason", reason.value)]


async def check_pasted_hash(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType] | None:
    """A tx hash sent outside the missing-transfer form: look it up (None: not one)."""
    pasted = next(
        (
            str(e["value"])
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") == "tx_hash"
        ),
        None,
    )
    if not pasted or chain_lookup() is None:
        return None
    chain = tracker.get_slot("chain")
    chain = chain if chain in CHAIN_NAMES else None
    checked = await check_transaction(dispatcher, pasted, chain, None, explorer_link(pasted, chain))
    if checked is None:
        return None
    return [SlotSet("tx_hash", pasted), SlotSet("failed_turns", 0), *checked]


class ActionOutOfScope(Action):
    """Out of scope, unless the message is a bare tx hash (the NLU can't tell those)."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        checked = await check_pasted_hash(dispatcher, tracker)
        if checked is not None:
            return checked
        dispatcher.utter_message(response="utter_out_of_scope")
        return []


class ActionAnswerFaq(Action):
    """Search the KB; a confident hit is answered, a miss counts toward a human."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        if not text.strip():
            dispatcher.utter_message(response="utter_empty_message")
            return []
        checked = await check_pasted_hash(dispatcher, tracker)
        if checked is not None:
            return checked
        kb = knowledge_base()
        hits = kb.search(text, k=3)
        language = language_of(tracker)
        answered = [SlotSet("failed_turns", 0), SlotSet("pending_question", None)]
        if hits and hits[0].score >= kb.min_confidence:
            dispatcher.utter_message(text=kb.answer(hits[0].article_id, language))
            return answered
        intent = tracker.latest_message.get("intent") or {}
        support_question = (
            intent.get("name") == "ask_faq" and float(intent.get("confidence") or 0) >= 0.8
        )
        article = kb.article(hits[0].article_id) if hits else None
        if article and support_question and hits[0].score >= kb_settings().suggest_confidence:
            dispatcher.utter_message(response="utter_kb_suggestion", title=article.title(language))
            dispatcher.utter_message(text=kb.answer(article.id, language))
            dispatcher.utter_message(response="utter_anything_else")
            return answered
        failed = int(tracker.get_slot("failed_turns") or 0) + 1
        dispatcher.utter_message(json_message={"outcome": "fallback"})  # for the gateway's metrics
        if failed >= FAILED_TURNS_BEFORE_OFFER:
            return [SlotSet("failed_turns", 0), *offer_human(dispatcher, HandoffReason.NO_ANSWER)]
        dispatcher.utter_message(response="utter_default")
        return [SlotSet("failed_turns", failed), SlotSet("pending_question", None)]


class ActionAnswerArticle(Action):
    """Intents that map to one article (account locked, ticket status)."""

    def name(self) -> str:
        return "action_answer_article"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        article_id, reason = INTENT_ARTICLES.get(
            latest_intent(tracker) or "", ("contact-channels", HandoffReason.USER_REQUEST)
        )
        dispatcher.utter_message(text=knowledge_base().answer(article_id, language_of(tracker)))
        return [SlotSet("failed_turns", 0), *offer_human(dispatcher, reason)]
