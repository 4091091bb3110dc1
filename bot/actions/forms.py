"""Validation of the missing-transfer and dispute forms.

Every answer may be "I don't know" (stored as ``unknown``, the form moves on).
A malformed answer gets an explanation of the expected format and the same
question again; nothing is guessed.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.aside import answered_aside
from bot.actions.lookalike import compare_typed
from bot.actions.shared import latest_intent
from bot.nlu.timeparse import parse_time
from bot.validation import (
    UNKNOWN,
    check_address,
    check_tx_hash,
    find_amount,
    find_chain,
    find_token,
    is_dont_know,
)

MAX_FREE_TEXT = 2000


def _unanswered(value: Any) -> bool:
    """None (a slot just reset) or blank text is not an answer: ask again, silently."""
    return value is None or not str(value).strip()


def _unknown(value: Any, tracker: Tracker) -> bool:
    text = str(value or "")
    return (
        text == UNKNOWN
        or is_dont_know(text)
        or (latest_intent(tracker) == "dont_know" and not tracker.latest_message.get("entities"))
    )


def _known(slot: str | None) -> str | None:
    return None if slot in (None, UNKNOWN) else slot


class CaseValidators:
    """Validators shared by both forms (amount, tx hash, time), mixed into each."""

    async def validate_amount(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"amount": None}
        if _unknown(value, tracker):
            return {"amount": UNKNOWN}
        amount = find_amount(str(value))
        if amount is None:
            if not answered_aside(dispatcher, tracker):
                dispatcher.utter_message(response="utter_invalid_amount")
            return {"amount": None}
        slots: dict[str, Any] = {"amount": amount}
        unit = amount.split(" ", 1)[1] if " " in amount else None
        if unit and unit not in ("USD", "CNY") and not _known(tracker.get_slot("token")):
            slots["token"] = unit  # "100u" answers "which token?" as well
        return slots

    async def validate_tx_hash(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"tx_hash": None}
        if _unknown(value, tracker):
            return {"tx_hash": UNKNOWN}
        # Any valid hash is taken, whatever network was named: users mix networks up,
        # and the lookup asks every configured chain and says where it found it.
        check = check_tx_hash(str(value), None)
        if check.value is None:
            check = check_tx_hash(str(value), _known(tracker.get_slot("chain")))
            if not answered_aside(dispatcher, tracker):
                dispatcher.utter_message(response="utter_invalid_tx_hash", expected=check.expected)
        return {"tx_hash": check.value}

    async def validate_transfer_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"transfer_time": None}
        if _unknown(value, tracker):
            return {"transfer_time": UNKNOWN, "transfer_time_parsed": None}
        raw = str(value).strip()[:200]
        # The page sends the browser's time zone: "3 pm" is the user's 3 pm.
        zone = (tracker.latest_message.get("metadata") or {}).get("timezone")
        parsed = parse_time(raw, zone=zone if isinstance(zone, str) else None)
        return {"transfer_time": raw, "transfer_time_parsed": parsed}


class ValidateMissingTransferForm(CaseValidators, FormValidationAction):
    def name(self) -> str:
        return "validate_missing_transfer_form"

    async def validate_chain(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"chain": None}
        if _unknown(value, tracker):
            return {"chain": UNKNOWN}
        chain = find_chain(str(value))
        if chain is None and not answered_aside(dispatcher, tracker):
            dispatcher.utter_message(response="utter_invalid_chain")
        return {"chain": chain}

    async def validate_token(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"token": None}
        if _unknown(value, tracker):
            return {"token": UNKNOWN}
        token = find_token(str(value))
        if token is None and not answered_aside(dispatcher, tracker):
            dispatcher.utter_message(response="utter_invalid_token")
        return {"token": token}

    async def validate_to_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"to_address": None}
        if _unknown(value, tracker):
            return {**compare_typed(dispatcher, tracker, None), "to_address": UNKNOWN}
        check = check_address(str(value), _known(tracker.get_slot("chain")))
        if check.value is None and not answered_aside(dispatcher, tracker):
            dispatcher.utter_message(response="utter_invalid_address", expected=check.expected)
        # "Sent to T…, meant T…": compared here, whatever a node could tell later.
        return {**compare_typed(dispatcher, tracker, check.value), "to_address": check.value}


class ValidateDisputeForm(CaseValidators, FormValidationAction):
    def name(self) -> str:
        return "validate_dispute_form"

    async def validate_counterparty(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"counterparty": None}
        if _unknown(value, tracker):
            return {"counterparty": UNKNOWN}
        return {"counterparty": str(value).strip()[:200] or None}

    async def validate_dispute_description(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if _unanswered(value):
            return {"dispute_description": None}
        text = str(value or "").strip()
        return {"dispute_description": text[:MAX_FREE_TEXT] or None}
