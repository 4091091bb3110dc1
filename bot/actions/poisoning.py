"""The chain checks of a conversation: one :class:`Forensics` per action server, and
the address-poisoning scan of the missing-transfer flow (issue 20, "Then" 5).

After the lookup has found the user's transfer, its sender is the user's own address
(the form asks for the hash of a transfer they made, from their app's History). The
stolen-funds flow's transfers check then reads that address's recent token transfers:
a zero or dust transfer from a look-alike of an address it paid (in the window, or the
one the user named, or the one the transfer went to) is the mark of address poisoning.
Only that address is asked about; the others are compared here, never looked up.

The scan has what is left of the turn's budget (``forensic_budget_seconds``, counted
from the turn's start, so the lookup and the scan together stay under it); a scan that
didn't finish is said to be unfinished, never read as "nothing found".
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.shared import language_of
from bot.chain import CaseFile, ChainSettings, Forensics
from bot.validation import UNKNOWN
from common.casefile import finding_line, unfinished
from common.language import Language

log = logging.getLogger(__name__)

# A transfer the lookup found: its sender is known.
_FOUND = ("confirmed", "pending", "failed")
_UNFINISHED: dict[Language, str] = {
    "en": "I also looked for signs of address poisoning (a zero or tiny transfer to "
    "{address} from a look-alike of an address it paid), but that check didn't finish "
    "({checks}), so I can't say either way; an agent can check it.",
    "zh": "我还检查了“地址投毒”的迹象（仿冒地址向 {address} 发来的零额或极小转账），"
    "但这项检查没有完成（{checks}），所以无法判断；人工客服可以继续核实。",
    "es": "También busqué señales de «envenenamiento de direcciones» (una transferencia de "
    "cero o muy pequeña a {address} desde una imitadora de una dirección a la que pagó), "
    "pero esa revisión no terminó ({checks}), así que no puedo afirmar nada; un agente "
    "puede revisarlo.",
}


@lru_cache(maxsize=1)
def forensics() -> Forensics | None:
    """One per action server; None when no node is configured."""
    settings = ChainSettings()
    if not settings.evm_endpoints and not settings.tron_endpoint:
        return None
    return Forensics(settings)


def since(tracker: Tracker) -> datetime | None:
    """When the user said it happened, if that is a moment with its time zone."""
    parsed = tracker.get_slot("transfer_time_parsed")
    try:
        when = datetime.fromisoformat(str(parsed)) if parsed else None
    except ValueError:
        return None
    if when is not None and when.tzinfo is None:
        return None  # a time without its zone can't bound a search honestly
    return when


async def run_checks(
    address: str, chain: str | None, since: datetime | None, **options: Any
) -> CaseFile | None:
    """:meth:`Forensics.check` (*options* are its keywords), or None when no node
    can read *address*; a checker's bug is a failed check, never the conversation's end."""
    checker = forensics()
    if checker is None or not checker.chains_for(address, chain):
        return None
    try:
        return await checker.check(address, chain, since, **options)
    except Exception:
        log.exception("forensic check failed")
        return CaseFile(address, (), checks={"check": "failed"})


def _earlier(case: Any) -> CaseFile | None:
    try:
        return CaseFile.from_dict(case) if isinstance(case, dict) else None
    except (KeyError, TypeError, ValueError):
        return None  # not a case file: nothing to keep from it


async def scan_sender(
    dispatcher: CollectingDispatcher, tracker: Tracker, seen: dict[str, Any], started: float
) -> list[EventType]:
    """Look for poisoning around the user's transfer *seen* (the lookup's ``tx_check``);
    tell what was found, with its evidence, and keep it in the case file."""
    sender, chain = seen.get("sender"), seen.get("chain")
    if seen.get("status") not in _FOUND or not isinstance(sender, str) or not chain:
        return []
    checker = forensics()
    if checker is None:
        return []
    told = tracker.get_slot("to_address")
    paid = tuple(str(a) for a in (told, seen.get("recipient")) if a not in (None, UNKNOWN, sender))
    left = checker.settings.forensic_budget_seconds - (time.monotonic() - started)
    case = await run_checks(
        sender, str(chain), since(tracker), checks=("transfers",), paid=paid, budget=left
    )
    if case is None:
        return []
    # The sender's other payments are the stolen-funds flow's business, not this one's.
    case = case.keep("poisoning")
    earlier = _earlier(tracker.get_slot("forensic"))
    language = language_of(tracker)
    if case.findings:
        lines = [finding_line(f, language) for f in case.as_dict()["findings"]]
        shown = "\n".join(f"• {line}" for line in lines[:8])
        dispatcher.utter_message(response="utter_forensic_findings", findings=shown)
        explained = seen.get("poisoning") or (earlier is not None and earlier.findings)
        if not explained:  # the scam is told once a conversation
            dispatcher.utter_message(response="utter_forensic_poisoning")
    elif case.partial:
        checks = ", ".join(unfinished(case.as_dict()))
        dispatcher.utter_message(text=_UNFINISHED[language].format(address=sender, checks=checks))
    whole = case.after(earlier) if earlier is not None else case
    return [SlotSet("forensic", whole.as_dict())]


async def scan_after(
    dispatcher: CollectingDispatcher, tracker: Tracker, events: list[EventType], started: float
) -> list[EventType]:
    """:func:`scan_sender` on the lookup's result among *events* (its ``tx_check``)."""
    seen = next(
        (
            e.get("value")
            for e in events
            if e.get("event") == "slot" and e.get("name") == "tx_check"
        ),
        None,
    )
    return await scan_sender(dispatcher, tracker, seen, started) if isinstance(seen, dict) else []
