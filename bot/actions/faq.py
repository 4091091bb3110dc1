"""What answering questions shares: offering a human, and a tx hash pasted anywhere."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.chain import chain_lookup, check_transaction
from bot.nlu.vocabulary import CHAIN_NAMES
from common.payload import HandoffReason

FAILED_TURNS_BEFORE_OFFER = 2


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
    checked = await check_transaction(dispatcher, pasted, chain, None)
    if checked is None:
        return None
    return [SlotSet("tx_hash", pasted), SlotSet("failed_turns", 0), *checked]
