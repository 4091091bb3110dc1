"""After "I can't find this hash": the user's answer to "which network, which screen?".

A network in the answer is looked up again, on that network alone (or the user is told
plainly that we can't check it); the screen is kept for the agent. An answer naming
neither is not an answer to our question, and gets the usual handling.
"""

from __future__ import annotations

import re
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.chain import NOT_FOUND_QUESTION, chain_lookup, chain_name, check_transaction
from bot.actions.faq import offer_human
from bot.actions.poisoning import scan_after
from bot.actions.shared import latest_text
from bot.validation import UNKNOWN, find_chain
from common.payload import HandoffReason

# Where in (or out of) the app the user saw the hash, as the agent reads it.
_SCREENS = (
    (
        "history",
        re.compile(r"histor|activit|records?\b|交易记录|记录|历史|账单|historial|actividad"),
    ),
    ("explorer", re.compile(r"explorer|scan\b|etherscan|tronscan|bscscan|浏览器|explorador")),
    ("exchange", re.compile(r"exchange|binance|okx|huobi|交易所|币安|欧易|火币")),
    ("notification", re.compile(r"notif|push|通知|消息|notificaci")),
    ("receipt", re.compile(r"receipt|details?\b|详情|收据|recibo|detalle")),
)


def find_screen(text: str) -> str | None:
    lowered = text.lower()
    return next((name for name, pattern in _SCREENS if pattern.search(lowered)), None)


def _named_chain(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "chain":
            return str(entity["value"])
    return find_chain(latest_text(tracker))


async def answer_not_found(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> list[EventType] | None:
    """The answer to the "not found" question, if this message is one (else None)."""
    check: dict[str, Any] = tracker.get_slot("tx_check") or {}
    if tracker.get_slot("pending_question") != NOT_FOUND_QUESTION or not isinstance(check, dict):
        return None
    entities = tracker.latest_message.get("entities", [])
    if any(e.get("entity") == "tx_hash" for e in entities):
        return None  # a hash of its own: looked up as any pasted hash
    tx_hash = check.get("tx_hash") or tracker.get_slot("tx_hash")
    chain, screen = _named_chain(tracker), find_screen(latest_text(tracker))
    if not tx_hash or tx_hash == UNKNOWN or (chain is None and screen is None):
        return None
    seen_in = screen or check.get("seen_in")
    if chain is None:  # the screen alone: keep it, and ask for the network again
        dispatcher.utter_message(response="utter_tx_which_network")
        return [SlotSet("tx_check", {**check, "seen_in": seen_in})]
    lookup = chain_lookup()
    events: list[EventType] = [SlotSet("chain", chain), SlotSet("pending_question", None)]
    if lookup is None or chain not in lookup.adapters:
        dispatcher.utter_message(
            response="utter_tx_cannot_check_network", chain_name=chain_name(chain)
        )
        kept = {**check, "seen_in": seen_in, "said_network": chain}
        human = offer_human(dispatcher, HandoffReason.MISSING_TRANSFER)
        return [*events, SlotSet("tx_check", kept), *human]
    to_address = tracker.get_slot("to_address")
    started = time.monotonic()  # the lookup and the poisoning scan share one budget
    checked = await check_transaction(
        dispatcher,
        str(tx_hash),
        chain,
        None if to_address == UNKNOWN else to_address,
        only=chain,
        seen_in=seen_in,
    )
    scanned = await scan_after(dispatcher, tracker, checked or [], started)
    human = offer_human(dispatcher, HandoffReason.MISSING_TRANSFER)
    return [*events, *(checked or []), *scanned, *human]
