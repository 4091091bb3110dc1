"""Two addresses the user typed that start and end alike: address poisoning, told
without reading any chain (issue 20, "Then" 5).

A user who gives both the address they meant and the one the funds went to (in one
message or across the conversation) gets them compared: the same first four and last
four characters on different addresses is the mark of a poisoning scam, whether or not
a node is configured. Which of the two is the fake can't be read from text, so neither
is called the fake; the case file carries both to the agent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.shared import language_of
from bot.chain import CaseFile, Finding, lookalike
from bot.validation import UNKNOWN, address_family, find_addresses
from common.casefile import finding_line

# How far back the user's own messages are read for addresses: a case is told in a
# few turns, and an address from an old case must not be compared with this one's.
USER_MESSAGES = 20
EVIDENCE = "addresses typed by the user"


def typed_addresses(tracker: Tracker) -> list[str]:
    """The valid addresses in the user's recent messages, oldest first, each once."""
    texts = [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]
    latest = str(tracker.latest_message.get("text") or "")
    if not texts or texts[-1] != latest:
        texts.append(latest)
    found: list[str] = []
    for text in texts[-USER_MESSAGES:]:
        found += [a for a in find_addresses(text) if a not in found]
    return found


def lookalike_pair(addresses: list[str]) -> tuple[str, str] | None:
    for n, first in enumerate(addresses):
        for second in addresses[n + 1 :]:
            if lookalike(first, second):
                return first, second
    return None


def _told(case: Any, pair: tuple[str, str]) -> bool:
    findings = case.get("findings") if isinstance(case, dict) else None
    return any(
        isinstance(f, dict)
        and f.get("kind") == "lookalike_pair"
        and {f.get("counterparty"), f.get("lookalike_of")} == set(pair)
        for f in findings or []
    )


def compare_typed(
    dispatcher: CollectingDispatcher, tracker: Tracker, given: str | None
) -> dict[str, Any]:
    """Warn (once per pair) when two addresses the user gave look alike; the case file
    for the handoff as the slot to set, or nothing. *given* is the form's answer."""
    pair = lookalike_pair(typed_addresses(tracker))
    if pair is None or _told(tracker.get_slot("forensic"), pair):
        return {}
    chain = tracker.get_slot("chain")
    chain = str(chain) if chain not in (None, UNKNOWN) else address_family(pair[0]) or "unknown"
    finding = Finding(
        "lookalike_pair",
        "warning",
        chain,
        f"{EVIDENCE}: {pair[0]} / {pair[1]}",
        counterparty=pair[0],
        lookalike_of=pair[1],
    )
    case = CaseFile(
        given if given in pair else pair[0],
        (chain,),
        (finding,),
        checks={"typed addresses: compared": "done"},
        window="the addresses the user typed (no chain read)",
    )
    dispatcher.utter_message(text=finding_line(case.as_dict()["findings"][0], language_of(tracker)))
    dispatcher.utter_message(response="utter_forensic_poisoning")
    return {"forensic": case.as_dict()}
