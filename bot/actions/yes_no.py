"""What "yes", "no" or "cancel" mean outside a form: the answer to the question the bot
asked last, or, with none asked, a question the NLU took for one of them ("能导出吗" read
as an unsure "cancel", "can I export it?")."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.chain import NOT_FOUND_QUESTION
from bot.actions.dialogue import answer_has_phrase
from bot.actions.handoff import hand_off
from bot.actions.respond import ActionRespond
from bot.actions.shared import latest_intent, latest_text

# Worded as a question: "能导出吗" reads as "can it?" to the NLU, and is a question about
# what was just answered; "ok", "好的", "no" are not.
_QUESTION = re.compile(
    r"[?？¿]|[吗么嘛呢][\s。!！]*$|能不能|可不可以|怎么|什么|为什么|多久|哪|"
    r"^(can|could|is|are|do|does|did|how|what|why|when|where|which|will|should)\b|"
    r"^(se puede|puedo|puede|c[oó]mo|qu[eé]|cu[aá]ndo|d[oó]nde|por qu[eé]|hay)\b",
    re.IGNORECASE,
)


class ActionAnswerYesNo(Action):
    """What "yes" or "no" means depends on the question the bot asked last."""

    def name(self) -> str:
        return "action_answer_yes_no"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        yes = latest_intent(tracker) == "affirm"
        pending = tracker.get_slot("pending_question")
        cleared: list[EventType] = [SlotSet("pending_question", None)]
        # After "not found" the human was offered too; a yes or no answers that.
        if pending in ("offer_human", NOT_FOUND_QUESTION):
            if yes:
                return [*cleared, *hand_off(dispatcher, tracker)]
            dispatcher.utter_message(response="utter_no_handoff")
            return [*cleared, SlotSet("handoff_reason", None)]
        if pending == "has_recovery_phrase":
            return answer_has_phrase(dispatcher, yes)
        if _reads_as_question(tracker):
            return await ActionRespond().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_how_can_i_help")
        return cleared


class ActionCancelOutsideForm(Action):
    """ "Cancel" with nothing to cancel; an unsure one is more likely a question."""

    def name(self) -> str:
        return "action_cancel_outside_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if _reads_as_question(tracker):
            return await ActionRespond().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_how_can_i_help")
        return []


def _reads_as_question(tracker: Tracker) -> bool:
    # Not by the intent's confidence: an unsure "ok" searched would find the article
    # just answered, and repeat it.
    return bool(_QUESTION.search(latest_text(tracker).strip()))
