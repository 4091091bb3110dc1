"""Look the user's transaction up and say what happened (bot/chain does the asking)."""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import lru_cache
from typing import Any

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.chain import ChainLookup, ChainSettings, InvalidHash, TxCheck, lookalike
from bot.nlu.vocabulary import CHAIN_NAMES
from common.settings import service_settings

log = logging.getLogger(__name__)

RESPONSES = {
    "confirmed": "utter_tx_confirmed",
    "pending": "utter_tx_pending",
    "failed": "utter_tx_failed",
    "not_found": "utter_tx_not_found",
    "unavailable": "utter_tx_unavailable",
}
CALL_RESPONSES = {"confirmed": "utter_tx_confirmed_call", "failed": "utter_tx_failed_call"}
# A transaction found on a chain: its link is that chain's explorer, whatever was said.
_SEEN = ("confirmed", "pending", "failed")
# What pending_question holds after "not found": the next answer may name the network.
NOT_FOUND_QUESTION = "tx_not_found"


@lru_cache(maxsize=1)
def chain_lookup() -> ChainLookup | None:
    """One per action server; None when no node is configured (the bot then links the
    block explorer instead)."""
    settings = ChainSettings()
    if not settings.evm_endpoints and not settings.tron_endpoint:
        return None
    return ChainLookup(settings)


def explorer_link(tx_hash: str, chain: str | None) -> str:
    urls = service_settings().explorer_tx_urls
    template = urls.get(chain or "") or (
        urls["ethereum"] if tx_hash.startswith("0x") else urls["tron"]
    )
    if chain == "tron":
        tx_hash = tx_hash.removeprefix("0x")
    return template.format(tx=tx_hash)


def _short(address: str | None) -> str:
    return f"{address[:8]}…{address[-6:]}" if address and len(address) > 16 else address or "?"


def chain_name(chain: str | None) -> str:
    return CHAIN_NAMES.get(chain or "", chain or "?")


def address_mismatch(check: dict[str, Any], expected_to: str | None) -> bool:
    """The chain shows the funds went somewhere other than the address the user gave."""
    recipient = check.get("recipient")
    if check.get("status") not in _SEEN or not recipient or not expected_to:
        return False
    if expected_to == "unknown" or check.get("amount") is None:
        return False
    # EVM addresses are case-insensitive (the case is a checksum); TRON's are not.
    same = (
        recipient.lower() == expected_to.lower()
        if recipient.startswith("0x")
        else recipient == expected_to
    )
    return not same


def poisoned(check: dict[str, Any], expected_to: str | None) -> bool:
    """Sent to a look-alike of the address the user meant: address poisoning."""
    recipient = check.get("recipient")
    if not address_mismatch(check, expected_to) or not recipient or not expected_to:
        return False
    return lookalike(str(recipient), expected_to)


def _response(check: TxCheck, expected_to: str | None, recheck: bool) -> str:
    if check.status == "not_found" and recheck:
        return "utter_tx_still_not_found"
    if check.status in CALL_RESPONSES and check.amount is None:
        # A contract call we can't read as a transfer: say only what is certain.
        return CALL_RESPONSES[check.status]
    if address_mismatch(check.as_dict(), expected_to) and check.status == "confirmed":
        return "utter_tx_confirmed_elsewhere"
    return RESPONSES[check.status]


async def check_transaction(
    dispatcher: CollectingDispatcher,
    tx_hash: str,
    said_chain: str | None,
    expected_to: str | None,
    *,
    only: str | None = None,
    seen_in: str | None = None,
) -> list[EventType] | None:
    """Tell the user what the chain says; None if no lookup is configured.

    With *only*, the user told us where to look after a "not found": that chain alone
    is asked again, afresh.
    """
    lookup = chain_lookup()
    if lookup is None:
        return None
    try:
        check = await lookup.lookup(tx_hash, said_chain, only=only)
    except InvalidHash as exc:
        dispatcher.utter_message(text=str(exc))
        return []
    except Exception:  # never let a lookup bug end the conversation
        log.exception("chain lookup failed")
        check = TxCheck(said_chain or "unknown", "unavailable", tx_hash, error="lookup error")
    if seen_in:
        check = replace(check, seen_in=seen_in)
    found_on = check.chain if check.status in _SEEN else (only or said_chain)
    values: dict[str, Any] = {
        "chain_name": chain_name(check.chain),
        "networks": " / ".join(chain_name(c) for c in check.searched) or chain_name(only),
        "confirmations": check.confirmations,
        "amount": check.amount or "?",
        "token": check.token or "",
        "recipient": _short(check.recipient),
        "fee": check.fee or "?",
        "explorer_link": explorer_link(check.tx_hash, found_on),
    }
    if said_chain and check.chain != said_chain and check.status in _SEEN:
        dispatcher.utter_message(
            response="utter_tx_other_network",
            chain_name=values["chain_name"],
            said_chain=chain_name(said_chain),
        )
    dispatcher.utter_message(response=_response(check, expected_to, only is not None), **values)
    seen = check.as_dict()
    if poisoned(seen, expected_to):
        # The funds reached an address made to look like the one the user meant.
        dispatcher.utter_message(
            response="utter_tx_poisoning", recipient=check.recipient, expected=expected_to
        )
        seen["poisoning"] = True
    events: list[EventType] = [SlotSet("tx_check", seen)]
    if check.status == "not_found" and only is None:
        events.append(SlotSet("pending_question", NOT_FOUND_QUESTION))
    return events
