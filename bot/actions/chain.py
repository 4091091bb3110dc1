"""Look the user's transaction up and say what happened (bot/chain does the asking)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.chain import ChainLookup, ChainSettings, InvalidHash, TxCheck
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
    return template.format(tx=tx_hash)


def _short(address: str | None) -> str:
    return f"{address[:8]}…{address[-6:]}" if address and len(address) > 16 else address or "?"


async def check_transaction(
    dispatcher: CollectingDispatcher,
    tx_hash: str,
    said_chain: str | None,
    expected_to: str | None,
    explorer_link: str,
) -> list[EventType] | None:
    """Tell the user what the chain says; None if no lookup is configured."""
    lookup = chain_lookup()
    if lookup is None:
        return None
    try:
        check = await lookup.lookup(tx_hash, said_chain)
    except InvalidHash as exc:
        dispatcher.utter_message(text=str(exc))
        return []
    except Exception:  # never let a lookup bug end the conversation
        log.exception("chain lookup failed")
        check = TxCheck(said_chain or "unknown", "unavailable", tx_hash, error="lookup error")
    name = CHAIN_NAMES.get(check.chain, check.chain)
    values: dict[str, Any] = {
        "chain_name": name,
        "confirmations": check.confirmations,
        "amount": check.amount or "?",
        "token": check.token or "",
        "recipient": _short(check.recipient),
        "fee": check.fee or "?",
        "explorer_link": explorer_link,
    }
    if said_chain and check.chain != said_chain and check.status != "unavailable":
        dispatcher.utter_message(
            response="utter_tx_other_network",
            chain_name=name,
            said_chain=CHAIN_NAMES.get(said_chain, said_chain),
        )
    response = RESPONSES[check.status]
    if (
        check.status == "confirmed"
        and expected_to
        and check.recipient
        and check.recipient.lower() != expected_to.lower()
    ):
        response = "utter_tx_confirmed_elsewhere"
    dispatcher.utter_message(response=response, **values)
    return [SlotSet("tx_check", check.as_dict())]
