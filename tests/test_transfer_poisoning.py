"""Issue 20, "Then" 5 in the missing-transfer flow, with a node: after the lookup, the
sender of the user's transfer (their own address) is scanned, with the stolen-funds
flow's transfers check, for zero/dust transfers from a look-alike of an address it
paid. Real rasa-sdk trackers, the local nodes of tests/fakes/chain.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.actions.chain import chain_lookup
from bot.actions.handoff import ActionHandoff, ActionTransferSummary
from bot.actions.lookalike import EVIDENCE
from bot.actions.poisoning import forensics
from bot.actions.respond import ActionRespond
from common.payload import HandoffPayload
from tests.fakes import chain_forensic as acct
from tests.fakes import chain_poisoning as paid
from tests.fakes.chain import Nodes
from tests.support.trackers import load_domain, responses, run, tracker

EXPLAINED = {  # utter_forensic_poisoning's words in each language
    "en": "address book",
    "zh": "地址簿",
    "es": "libreta",
}
LOOKALIKE_LINE = {"en": "Look-alike address", "zh": "仿冒地址", "es": "Dirección imitadora"}


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Nodes]:
    nodes = Nodes()
    nodes.configure(
        monkeypatch,
        CALL_TIMEOUT_SECONDS="1.5",
        BUDGET_SECONDS="3",
        FORENSIC_BUDGET_SECONDS="3.5",
    )
    yield nodes
    forensics.cache_clear()
    chain_lookup.cache_clear()
    nodes.close()


def summary(
    domain: dict[str, Any], tx_hash: str, to: str, chain: str, language: str = "en", **more: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The missing-transfer form's last action, with these answers."""
    forensics.cache_clear()  # one client per event loop
    chain_lookup.cache_clear()
    slots = {
        "chain": chain,
        "tx_hash": tx_hash,
        "to_address": to,
        "token": "USDT",
        "amount": "200",
        "transfer_time": "yesterday",
        "language": language,
        **more,
    }
    return run(ActionTransferSummary(), tracker("yesterday", "inform", slots=slots), domain)


def lines(messages: list[dict[str, Any]]) -> str:
    return next(m for m in messages if m.get("response") == "utter_forensic_findings")["findings"]


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_dust_from_a_lookalike_of_the_friend_is_found_and_explained(
    nodes: Nodes, domain: dict[str, Any], language: str
) -> None:
    # The user pasted the look-alike from History: the lookup alone sees a transfer that
    # arrived where the user said. The sender's history shows what happened.
    messages, slots = summary(domain, paid.PAID_LOOKALIKE, acct.LOOKALIKE, "ethereum", language)
    assert responses(messages) == [
        "utter_transfer_summary",
        "utter_tx_confirmed",
        "utter_forensic_findings",
        "utter_forensic_poisoning",
        "utter_offer_human",
    ]
    found = lines(messages)
    dust = next(line for line in found.splitlines() if "0 USDT" in line)
    assert LOOKALIKE_LINE[language] in dust and acct.LOOKALIKE[2:] in dust.lower()
    assert acct.FRIEND[6:].lower() in dust.lower()  # what it imitates: the friend
    assert "https://etherscan.io/tx/0x" + "f7" * 32 in dust  # the evidence: the dust's tx
    case = slots["forensic"]
    assert case["verdict"] == "suspicious" and case["address"].lower() == acct.POISONED
    assert {f["kind"] for f in case["findings"]} == {"poisoning"}  # no outflow list here
    assert {f["tx_hash"] for f in case["findings"]} == {"0x" + "f7" * 32, paid.PAID_LOOKALIKE}
    assert case["checks"] == {"ethereum:transfers": "done"}


def test_the_case_file_reaches_the_agent(nodes: Nodes, domain: dict[str, Any]) -> None:
    _, slots = summary(domain, paid.PAID_LOOKALIKE, acct.LOOKALIKE, "ethereum")
    later = {
        "chain": "ethereum",
        "tx_hash": paid.PAID_LOOKALIKE,
        "to_address": acct.LOOKALIKE,
        "handoff_reason": "missing_transfer",
        **slots,
    }
    messages, _ = run(ActionHandoff(), tracker("yes", "affirm", slots=later), domain)
    payload = HandoffPayload.from_message(next(m for m in messages if m.get("custom"))["custom"])
    assert payload.reason == "missing_transfer"
    assert "forensic SUSPICIOUS" in payload.summary and "poisoning: tx 0x" + "f7" * 32 in (
        payload.summary
    )
    assert (payload.details.forensic or {})["findings"][0]["lookalike_of"].lower() == acct.FRIEND


def test_tron_through_the_indexer(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, slots = summary(domain, paid.TRON_PAID_LOOKALIKE, acct.TRON_LOOKALIKE, "tron", "zh")
    found = lines(messages)
    assert f"仿冒地址 {acct.TRON_LOOKALIKE}" in found and acct.TRON_FRIEND in found
    assert "a8" * 32 in found
    assert "utter_forensic_poisoning" in responses(messages)
    assert slots["forensic"]["checks"] == {"tron:transfers": "done"}
    # Only the transfers were read: no permission or allowance call for this flow.
    assert not any(c.endswith(("getaccount", "triggerconstantcontract")) for c in nodes.calls)


def test_the_address_the_user_meant_names_what_is_imitated(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    # The window holds no payment to the friend; the user says they meant the friend.
    messages, slots = summary(domain, paid.LATE_PAYMENT, acct.FRIEND, "ethereum")
    assert "utter_tx_poisoning" in responses(messages)  # the lookup's own comparison
    dust = next(line for line in lines(messages).splitlines() if "0 USDT" in line)
    assert "https://etherscan.io/tx/0x" + "fb" * 32 in dust
    # The scam was just explained by the lookup's warning: not twice in one turn.
    assert "utter_forensic_poisoning" not in responses(messages)
    assert slots["forensic"]["findings"][0]["lookalike_of"].lower() == acct.FRIEND


def test_only_the_senders_history_is_asked_for(nodes: Nodes, domain: dict[str, Any]) -> None:
    summary(domain, paid.PAID_FRIEND, acct.FRIEND, "ethereum")
    logs = [json.loads(b) for b in nodes.bodies if '"eth_getLogs"' in b]
    assert len(logs) == 2  # sent and received, of one address
    asked = {t for body in logs for t in body["params"][0]["topics"][1:] if t}
    assert asked == {acct.word(acct.POISONED)}  # never the friend's or the look-alike's


def test_a_clean_sender_adds_nothing_to_say(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, slots = summary(domain, paid.CLEAN_PAYMENT, acct.FRIEND, "ethereum")
    assert responses(messages) == [
        "utter_transfer_summary",
        "utter_tx_confirmed",
        "utter_offer_human",
    ]
    assert slots["forensic"]["verdict"] == "clean" and not slots["forensic"]["findings"]


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_a_history_call_that_times_out_is_said_unfinished(
    nodes: Nodes, domain: dict[str, Any], language: str
) -> None:
    nodes.hang_on = {"eth_getLogs"}  # the lookup answers, the history hangs (3 s)
    started = time.monotonic()
    messages, slots = summary(domain, paid.PAID_LOOKALIKE, acct.LOOKALIKE, "ethereum", language)
    took = time.monotonic() - started
    assert took < 2.5, f"the turn took {took:.1f} s: each call has 1.5 s"
    assert "utter_tx_confirmed" in responses(messages)
    assert "utter_forensic_findings" not in responses(messages)
    unfinished = [m["text"] for m in messages if m.get("text")]
    assert len(unfinished) == 1 and "ethereum:transfers (failed)" in unfinished[0]
    assert acct.POISONED in unfinished[0].lower()
    assert slots["forensic"]["partial"] is True and slots["forensic"]["verdict"] == "incomplete"


def test_the_scan_has_only_what_is_left_of_the_turns_budget(
    nodes: Nodes, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Calls may take 1.5 s, the turn 1.2 s: the scan is stopped at the turn's end.
    monkeypatch.setenv("CHAIN_FORENSIC_BUDGET_SECONDS", "1.2")
    nodes.hang_on = {"eth_getLogs"}
    started = time.monotonic()
    messages, slots = summary(domain, paid.PAID_LOOKALIKE, acct.LOOKALIKE, "ethereum")
    took = time.monotonic() - started
    assert took < 1.6, f"the turn took {took:.1f} s"
    assert slots["forensic"]["checks"] == {"ethereum:transfers": "no_answer"}
    assert "ethereum:transfers (no_answer)" in next(m["text"] for m in messages if m.get("text"))


def test_a_typed_pair_and_the_scan_make_one_case_file(nodes: Nodes, domain: dict[str, Any]) -> None:
    typed = {
        "address": acct.LOOKALIKE,
        "chains": ["ethereum"],
        "findings": [
            {
                "kind": "lookalike_pair",
                "severity": "warning",
                "chain": "ethereum",
                "evidence": f"{EVIDENCE}: {acct.LOOKALIKE} / {acct.FRIEND}",
                "counterparty": acct.LOOKALIKE,
                "lookalike_of": acct.FRIEND,
            }
        ],
        "checks": {"typed addresses: compared": "done"},
        "window": "the addresses the user typed (no chain read)",
    }
    messages, slots = summary(
        domain, paid.PAID_LOOKALIKE, acct.LOOKALIKE, "ethereum", forensic=typed
    )
    assert "utter_forensic_poisoning" not in responses(messages)  # told with the pair
    case = slots["forensic"]
    assert [f["kind"] for f in case["findings"]] == ["lookalike_pair", "poisoning", "poisoning"]
    assert set(case["checks"]) == {"typed addresses: compared", "ethereum:transfers"}


def test_a_transfer_not_found_scans_nothing(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, slots = summary(domain, "0x" + "0e" * 32, acct.FRIEND, "ethereum")
    assert "utter_tx_not_found" in responses(messages) and "forensic" not in slots
    assert not any('"eth_getLogs"' in b for b in nodes.bodies)


def test_found_after_not_found_is_scanned_too(nodes: Nodes, domain: dict[str, Any]) -> None:
    # "Not found" on TRON; the user then names Ethereum, where the transfer is.
    slots = {
        "pending_question": "tx_not_found",
        "tx_hash": paid.PAID_LOOKALIKE,
        "tx_check": {"chain": "tron", "status": "not_found", "tx_hash": paid.PAID_LOOKALIKE},
        "to_address": acct.LOOKALIKE,
        "handoff_reason": "missing_transfer",
        "language": "es",
    }
    forensics.cache_clear()
    chain_lookup.cache_clear()
    said = tracker("en Ethereum, lo vi en el historial", "inform", slots=slots)
    messages, events = run(ActionRespond(), said, domain)
    assert responses(messages) == [
        "utter_tx_confirmed",
        "utter_forensic_findings",
        "utter_forensic_poisoning",
        "utter_offer_human",
    ]
    assert "https://etherscan.io/tx/0x" + "f7" * 32 in lines(messages)
    assert events["forensic"]["verdict"] == "suspicious"
