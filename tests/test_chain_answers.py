"""What the bot says about a looked-up transaction (issue 20, defects 3–5, 8 and 9):
the actions with real rasa-sdk trackers, against the local nodes of tests/fakes/chain.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.chain import chain_lookup
from bot.actions.forms import ValidateMissingTransferForm
from bot.actions.handoff import ActionTransferSummary, summary_line
from bot.actions.respond import ActionRespond
from bot.actions.yes_no import ActionAnswerYesNo
from common.payload import Details, HandoffPayload, HandoffReason
from tests.fakes import chain_cases as cases
from tests.fakes.chain import Nodes
from tests.support.trackers import load_domain, responses, run, tracker

EVM_HASH = "0x" + "a1" * 32  # 250.5 USDT to BOB on Ethereum, confirmed
ELSEWHERE = "0x" + "44" * 20


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Nodes]:
    nodes = Nodes()
    configure(monkeypatch, nodes, ["ethereum", "bsc"])
    yield nodes
    chain_lookup.cache_clear()
    nodes.close()


def configure(monkeypatch: pytest.MonkeyPatch, nodes: Nodes, evm: list[str]) -> None:
    nodes.configure(monkeypatch, evm, indexer=False, BUDGET_SECONDS="2")
    chain_lookup.cache_clear()


def summary(domain: dict[str, Any], **slots: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    case = {"token": "USDT", "amount": "100", "transfer_time": "yesterday", **slots}
    case.setdefault("to_address", "unknown")
    chain_lookup.cache_clear()  # one lookup client per event loop
    return run(ActionTransferSummary(), tracker("", slots=case), domain)


def said(messages: list[dict[str, Any]], response: str) -> dict[str, Any]:
    return next(m for m in messages if m.get("response") == response)


def test_a_failed_usdt_transfer_is_told_as_usdt(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, _ = summary(domain, chain="ethereum", tx_hash=cases.FAILED_USDT)
    assert said(messages, "utter_tx_failed")["token"] == "USDT"


def test_a_contract_call_we_cannot_read_is_not_told_as_a_transfer(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, slots = summary(domain, chain="tron", tx_hash=cases.TRON_BARE_CALL)
    assert "utter_tx_confirmed_call" in responses(messages)
    assert "utter_tx_confirmed" not in responses(messages)
    assert slots["tx_check"]["amount"] is None


def test_the_form_takes_an_evm_hash_after_tron_was_named() -> None:
    form = ValidateMissingTransferForm()
    answer = tracker(EVM_HASH, "inform", slots={"chain": "tron", "requested_slot": "tx_hash"})
    dispatcher = CollectingDispatcher()
    result = asyncio.run(form.validate_tx_hash(EVM_HASH, dispatcher, answer, {}))
    assert result == {"tx_hash": EVM_HASH} and dispatcher.messages == []


def test_a_hash_found_on_another_network_says_where(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, slots = summary(domain, chain="tron", tx_hash=EVM_HASH)
    assert responses(messages)[:3] == [
        "utter_transfer_summary",
        "utter_tx_other_network",
        "utter_tx_confirmed",
    ]
    assert said(messages, "utter_tx_other_network")["chain_name"].startswith("Ethereum")
    assert slots["tx_check"]["chain"] == "ethereum"


def test_the_explorer_link_follows_the_chain_where_it_was_found(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, _ = summary(domain, chain="ethereum", tx_hash=cases.BSC_USDT)
    assert said(messages, "utter_tx_confirmed")["explorer_link"] == (
        f"https://bscscan.com/tx/{cases.BSC_USDT}"
    )
    messages, _ = summary(domain, chain="ethereum", tx_hash="b1" * 32)
    assert said(messages, "utter_tx_confirmed")["explorer_link"].startswith("https://tronscan.org/")


def test_not_found_names_the_one_network_it_asked(
    nodes: Nodes, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, nodes, [])
    messages, slots = summary(domain, chain="tron", tx_hash="ee" * 32)
    assert said(messages, "utter_tx_not_found")["networks"] == "TRON (TRC20)"
    # The offer of a human is made, and the question about the network stays open.
    assert responses(messages)[-1] == "utter_offer_human"
    assert slots["pending_question"] == "tx_not_found"


def after_not_found(text: str, tx: str, **extra: Any) -> Any:
    slots = {
        "pending_question": "tx_not_found",
        "tx_hash": tx,
        "tx_check": {"chain": "ethereum", "status": "not_found", "tx_hash": tx},
        "handoff_reason": "missing_transfer",
        **extra,
    }
    chain_lookup.cache_clear()
    return tracker(text, "inform", slots=slots)


def test_naming_the_network_after_not_found_looks_there_again(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, slots = run(
        ActionRespond(), after_not_found("BNB Chain, from History", cases.BSC_USDT), domain
    )
    assert responses(messages) == ["utter_tx_confirmed", "utter_offer_human"]
    assert said(messages, "utter_tx_confirmed")["explorer_link"].startswith("https://bscscan")
    assert slots["tx_check"]["seen_in"] == "history" and slots["chain"] == "bsc"
    assert nodes.calls[0] == "/evm/bsc"  # that network alone


def test_still_not_found_there_is_said_once_and_a_human_offered(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, slots = run(
        ActionRespond(), after_not_found("它在以太坊上", "0x" + "ee" * 32), domain
    )
    assert responses(messages) == ["utter_tx_still_not_found", "utter_offer_human"]
    assert said(messages, "utter_tx_still_not_found")["networks"].startswith("Ethereum")
    assert slots["pending_question"] == "offer_human"


def test_a_network_we_cannot_check_is_said_plainly(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, slots = run(
        ActionRespond(), after_not_found("en Polygon, en el historial", "0x" + "ee" * 32), domain
    )
    assert responses(messages) == ["utter_tx_cannot_check_network", "utter_offer_human"]
    assert slots["tx_check"]["said_network"] == "polygon"
    assert slots["tx_check"]["seen_in"] == "history"


def test_the_screen_alone_is_kept_and_the_network_asked(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, slots = run(
        ActionRespond(), after_not_found("I saw it in the app's History", "ee" * 32), domain
    )
    assert responses(messages) == ["utter_tx_which_network"]
    assert slots["tx_check"]["seen_in"] == "history"


def test_yes_after_not_found_hands_off(domain: dict[str, Any]) -> None:
    asked = after_not_found("yes", "ee" * 32, language="en")
    asked.latest_message["intent"] = {"name": "affirm", "confidence": 1.0}
    messages, _ = run(ActionAnswerYesNo(), asked, domain)
    payload = HandoffPayload.from_message(messages[-1]["custom"])
    assert payload.reason == "missing_transfer"


def test_the_summary_line_flags_an_address_mismatch() -> None:
    check = {
        "chain": "ethereum",
        "status": "confirmed",
        "recipient": "0x" + "22" * 20,
        "amount": "100",
        "token": "USDT",
        "confirmations": 12,
    }
    details = Details(to_address=ELSEWHERE, chain_check=check)
    line = summary_line(HandoffReason.MISSING_TRANSFER, details, "")
    assert f"ADDRESS MISMATCH: sent to {'0x' + '22' * 20}, user expected {ELSEWHERE}" in line
    same = Details(to_address="0x" + "22" * 20, chain_check=check)
    assert "MISMATCH" not in summary_line(HandoffReason.MISSING_TRANSFER, same, "")
