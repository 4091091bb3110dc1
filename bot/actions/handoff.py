"""The end of self-service: summarise the case, or hand it to a human."""

from __future__ import annotations

import time
from typing import Any, Literal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.chain import address_mismatch, check_transaction, explorer_link
from bot.actions.faq import offer_human
from bot.actions.poisoning import scan_after
from bot.actions.shared import language_of, latest_intent
from bot.nlu.vocabulary import CHAIN_NAMES
from bot.validation import UNKNOWN, address_family, chain_family
from common.casefile import summary as forensic_line
from common.language import Language
from common.payload import (
    Details,
    HandoffPayload,
    HandoffReason,
    Priority,
    TranscriptLine,
    TransferTime,
)
from common.settings import service_settings

TRANSCRIPT_LINES = 100
TRANSCRIPT_CHARS = 2000

_LABELS: dict[Language, dict[str, str]] = {
    "en": {
        "chain": "Network",
        "token": "Token",
        "amount": "Amount",
        "tx_hash": "Tx hash",
        "transfer_time": "Time",
        "to_address": "To address",
        "unknown": "not known",
    },
    "zh": {
        "chain": "网络",
        "token": "币种",
        "amount": "金额",
        "tx_hash": "交易哈希",
        "transfer_time": "时间",
        "to_address": "收款地址",
        "unknown": "不清楚",
    },
    "es": {
        "chain": "Red",
        "token": "Token",
        "amount": "Cantidad",
        "tx_hash": "Hash",
        "transfer_time": "Fecha",
        "to_address": "Dirección destino",
        "unknown": "no se sabe",
    },
}
_PRIORITY = {
    HandoffReason.COMPLAINT: Priority.HIGH,
    HandoffReason.DISPUTE: Priority.HIGH,
    HandoffReason.SECURITY: Priority.URGENT,
    HandoffReason.STOLEN_FUNDS: Priority.HIGH,
}
_RESPONSE = {
    HandoffReason.COMPLAINT: "utter_handoff_complaint",
    HandoffReason.DISPUTE: "utter_handoff_dispute",
}


def case_summary(tracker: Tracker, language: Language) -> str:
    labels = _LABELS[language]
    lines = []
    for slot in ("chain", "token", "amount", "tx_hash", "transfer_time", "to_address"):
        value = tracker.get_slot(slot)
        if value is not None:
            shown = labels["unknown"] if value == UNKNOWN else CHAIN_NAMES.get(value, value)
            lines.append(f"• {labels[slot]}: {shown}")
    return "\n".join(lines)


class ActionTransferSummary(Action):
    """After the missing-transfer form: what we have, what it means, and a human."""

    def name(self) -> str:
        return "action_transfer_summary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        started = time.monotonic()  # the lookup and the poisoning scan share one budget
        language = language_of(tracker)
        dispatcher.utter_message(
            response="utter_transfer_summary", summary=case_summary(tracker, language)
        )
        chain, tx_hash = tracker.get_slot("chain"), tracker.get_slot("tx_hash")
        to_family = address_family(tracker.get_slot("to_address"))
        known_chain = chain if chain not in (None, UNKNOWN) else None
        if known_chain and to_family and chain_family(known_chain) not in (None, to_family):
            dispatcher.utter_message(
                response="utter_transfer_advice_wrong_network",
                chain=CHAIN_NAMES.get(known_chain, known_chain),
                address_network={"evm": "EVM (0x…)", "tron": "TRON (T…)"}.get(to_family, to_family),
            )
        elif tx_hash in (None, UNKNOWN):
            dispatcher.utter_message(response="utter_transfer_advice_no_hash")
        else:
            to_address = tracker.get_slot("to_address")
            checked = await check_transaction(
                dispatcher, tx_hash, known_chain, None if to_address == UNKNOWN else to_address
            )
            if checked is None:  # no node configured: the explorer, with what to look for
                dispatcher.utter_message(
                    response="utter_transfer_advice_explorer",
                    explorer_link=explorer_link(tx_hash, known_chain),
                )
            else:
                scanned = await scan_after(dispatcher, tracker, checked, started)
                # After the offer: a "not found" keeps its own question open (its answer
                # may name the network; a "yes" still means a human).
                human = offer_human(dispatcher, HandoffReason.MISSING_TRANSFER)
                return [*human, *checked, *scanned]
        return offer_human(dispatcher, HandoffReason.MISSING_TRANSFER)


def transcript(tracker: Tracker) -> list[TranscriptLine]:
    """User and bot lines; a pressed button shows as its title, not its payload."""
    lines = []
    titles: dict[str, str] = {}
    for event in tracker.events:
        for button in (event.get("data") or {}).get("buttons") or []:
            titles[str(button.get("payload"))] = str(button.get("title"))
        if event.get("event") == "user" and str(event.get("text", "")) in titles:
            event = {**event, "text": f"[{titles[str(event['text'])]}]"}
        kind = event.get("event")
        role: Literal["user", "bot"] | None = (
            "user" if kind == "user" else "bot" if kind == "bot" else None
        )
        text = event.get("text")
        if role and text:
            timestamp = event.get("timestamp")
            at = None
            if isinstance(timestamp, (int, float)):
                from datetime import datetime, timezone

                at = datetime.fromtimestamp(timestamp, timezone.utc).isoformat()
            lines.append(TranscriptLine(role=role, text=str(text)[:TRANSCRIPT_CHARS], at=at))
    return lines[-TRANSCRIPT_LINES:]


def _details(tracker: Tracker) -> Details:
    raw_time = tracker.get_slot("transfer_time")
    slots: dict[str, Any] = {
        name: tracker.get_slot(name)
        for name in (
            "chain", "token", "amount", "tx_hash", "to_address", "counterparty",
            "affected_address", "forensic",
        )
    }  # fmt: skip
    return Details(
        **slots,
        chain_check=tracker.get_slot("tx_check"),
        description=tracker.get_slot("dispute_description"),
        transfer_time=TransferTime(raw=raw_time, parsed=tracker.get_slot("transfer_time_parsed"))
        if raw_time
        else None,
    )


def _reason(tracker: Tracker) -> HandoffReason:
    if latest_intent(tracker) == "complaint":
        return HandoffReason.COMPLAINT
    try:
        return HandoffReason(tracker.get_slot("handoff_reason"))
    except ValueError:
        return HandoffReason.USER_REQUEST


def summary_line(reason: HandoffReason, details: Details, last_user_text: str) -> str:
    """One line an agent reads before the transcript (always English)."""
    parts = [reason.value.replace("_", " ")]
    facts = [
        f"{name}={value if not isinstance(value, TransferTime) else value.raw}"
        for name, value in details
        if value is not None and name not in ("description", "chain_check", "forensic")
    ]
    if facts:
        parts.append(", ".join(facts))
    check = details.chain_check
    if check:
        seen = f"on-chain: {check.get('status')} on {check.get('chain')}"
        if check.get("confirmations") is not None:
            seen += f", {check['confirmations']} confirmations"
        if check.get("status") == "not_found" and check.get("searched"):
            seen += f" (searched {', '.join(check['searched'])})"
        if check.get("seen_in"):
            seen += f", user saw the hash in: {check['seen_in']}"
        parts.append(seen)
        if address_mismatch(check, details.to_address):
            # The first thing an agent must see: the funds went elsewhere on chain.
            parts.append(
                f"ADDRESS MISMATCH: sent to {check.get('recipient')}, "
                f"user expected {details.to_address}"
            )
            if check.get("poisoning"):
                parts.append("ADDRESS POISONING: the recipient is a look-alike of that address")
    if details.forensic:
        parts.append(forensic_line(details.forensic))
    if details.description:
        parts.append(f"description: {details.description[:200]}")
    elif last_user_text:
        parts.append(f"last message: {last_user_text[:200]}")
    return "; ".join(parts)


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: HandoffReason | None = None
) -> list[EventType]:
    """Tell the user what happens next and emit the structured handoff payload (the
    *reason* given, or the one the conversation's slots say)."""
    service = service_settings()
    reason = reason or _reason(tracker)
    details = _details(tracker)
    priority = _PRIORITY.get(reason, Priority.NORMAL)
    if (details.forensic or {}).get("verdict") == "compromised":
        priority = Priority.URGENT  # someone else can move the funds now
    sla = (
        service.security_sla_hours
        if priority == Priority.URGENT
        else {
            HandoffReason.DISPUTE: service.dispute_sla_hours,
            HandoffReason.COMPLAINT: service.complaint_sla_hours,
        }.get(reason, service.ticket_sla_hours)
    )
    lines = transcript(tracker)
    # The transcript shows a pressed button's title ("[Yes, a human]"), not "/affirm".
    last_user = next((line.text for line in reversed(lines) if line.role == "user"), "")
    payload = HandoffPayload(
        conversation_id=tracker.sender_id,
        reason=reason,
        priority=priority,
        language=language_of(tracker),
        sla_hours=sla,
        details=details,
        summary=summary_line(reason, details, last_user),
        transcript=lines,
    )
    dispatcher.utter_message(
        response=_RESPONSE.get(reason, "utter_handoff"),
        sla_hours=sla,
        chat_hours=service.chat_hours,
    )
    dispatcher.utter_message(json_message=payload.as_message())
    return [
        SlotSet("pending_question", None),
        SlotSet("handoff_reason", None),
        SlotSet("failed_turns", 0),
    ]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return hand_off(dispatcher, tracker)
