"""Yes/no answers, the forgotten-password flow and the start of a case."""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.faq import offer_human
from bot.actions.shared import latest_intent
from common.payload import HandoffReason

CASE_SLOTS = ("chain", "token", "amount", "tx_hash", "transfer_time", "transfer_time_parsed",
              "to_address", "counterparty", "dispute_description", "affected_address",
              "forensic")  # fmt: skip
_ENTITY_SLOTS = {"chain": "chain", "token": "token", "amount": "amount", "tx_hash": "tx_hash",
                 "time": "transfer_time", "address": "to_address"}  # fmt: skip
_CASES = {
    "missing_transfer": ("utter_missing_transfer_intro", HandoffReason.MISSING_TRANSFER),
    "transaction_dispute": ("utter_dispute_intro", HandoffReason.DISPUTE),
    "stolen_funds": ("utter_stolen_funds_intro", HandoffReason.STOLEN_FUNDS),
}


# A "no" in the user's own words to "do you still have the recovery phrase?", which the
# NLU reads as a question ("what if I don't have the phrase either?", "¿y si no tengo la
# frase?") and the knowledge base answers with the article on keeping a phrase safe.
_WITHOUT_PHRASE = re.compile(
    r"\b(don'?t|do not|didn'?t|did not|no longer|never) (have|got|own|keep|kept|know where|"
    r"remember|write|wrote|save|saved|back(ed)? (it )?up)\b|\b(lost|forgot|misplaced|"
    r"can'?t find|cannot find|without)\b|\bno (recovery |seed |backup )?phrase\b|"
    r"\bno (la |lo |las |los |me )?(tengo|ten[ií]a|encuentro|recuerdo|acuerdo|guard[eé]|"
    r"apunt[eé]|anot[eé]|s[eé] d[oó]nde)\b|\bperd[ií]|\bextravi[eé]|\bsin (la |mi )?frase\b|"
    r"\bolvid[eé]|没有|没保存|没备份|没记|丢了|丢失|弄丢|忘了|忘记|找不到|不记得|不见了",
    re.IGNORECASE,
)
# Longer than this is a new question, not an answer to the bot's.
_ANSWER_MAX_CHARS = 80


def lacks_phrase(text: str) -> bool:
    """Whether *text*, said to "do you still have the recovery phrase?", means no."""
    return len(text) <= _ANSWER_MAX_CHARS and bool(_WITHOUT_PHRASE.search(text))


def answer_has_phrase(dispatcher: CollectingDispatcher, yes: bool) -> list[EventType]:
    """The forgotten-password flow's answer to whether the user still has the phrase."""
    cleared: list[EventType] = [SlotSet("pending_question", None)]
    if yes:
        dispatcher.utter_message(response="utter_password_reimport")
        dispatcher.utter_message(response="utter_anything_else")
        return cleared
    dispatcher.utter_message(response="utter_password_no_phrase")
    return [*cleared, *offer_human(dispatcher, HandoffReason.PASSWORD_LOST)]


class ActionPasswordReset(Action):
    def name(self) -> str:
        return "action_password_reset"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_password_reset")
        return [SlotSet("pending_question", "has_recovery_phrase")]


# The flow (bot/decision.py) a case starts for, as the intent that names it: the flow
# may come from the knowledge base's article while the intent was only ask_faq.
_FLOW_INTENTS = {
    "missing_transfer": "missing_transfer",
    "dispute": "transaction_dispute",
    "stolen_funds": "stolen_funds",
}


# The user asks for a person in so many words ("quiero hablar con un agente, mi
# transferencia no llega"): the case goes to one at once, not through the form.
_WANTS_HUMAN = re.compile(
    r"\b(talk|speak|chat)\s+(to|with)\s+(a|an|some|the|your)?\s*(real\s+)?(human|person|"
    r"agent|representative|someone|operator)\b|\b(human|live|real)\s+(agent|person|support)\b|"
    r"(hablar|comunicarme|chatear)\s+con\s+(un|una|alg[uú]n|el|la)?\s*(agente|persona|humano|"
    r"asesor|operador|representante)|\b(agente|persona)\s+(real|humana)\b|"
    r"转人工|人工客服|找人工|人工服务|真人",
    re.IGNORECASE,
)


def wants_human(text: str) -> bool:
    return bool(_WANTS_HUMAN.search(text))


def case_reason(flow: str) -> HandoffReason:
    """The handoff reason of the case *flow* (bot/decision.py) starts."""
    return _CASES.get(_FLOW_INTENTS.get(flow, ""), _CASES["missing_transfer"])[1]


class ActionStartCase(Action):
    """Forget the last case's details, keep what this message said, introduce the form."""

    def __init__(self, flow: str | None = None) -> None:
        self.flow = flow

    def name(self) -> str:
        return "action_start_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        mentioned = {
            _ENTITY_SLOTS[e["entity"]]
            for e in tracker.latest_message.get("entities", [])
            if e.get("entity") in _ENTITY_SLOTS
        }
        intent = _FLOW_INTENTS.get(self.flow or "") or latest_intent(tracker) or ""
        intro, reason = _CASES.get(intent, _CASES["missing_transfer"])
        dispatcher.utter_message(response=intro)
        moved: list[EventType] = []
        if reason == HandoffReason.STOLEN_FUNDS and "to_address" in mentioned:
            # "my wallet T… was drained": the address named is the robbed one.
            address = tracker.get_slot("to_address")
            moved = [SlotSet("affected_address", address), SlotSet("to_address", None)]
            mentioned |= {"affected_address"}
        events: list[EventType] = [
            SlotSet(slot, None)
            for slot in CASE_SLOTS
            if slot not in mentioned and tracker.get_slot(slot) is not None
        ]
        events += moved
        return [
            *events,
            SlotSet("handoff_reason", reason.value),
            SlotSet("pending_question", None),
            SlotSet("failed_turns", 0),
        ]
