"""The stolen-funds flow's actions (issue 20, "Then" 1–7) with real rasa-sdk trackers,
against the local nodes of tests/fakes/chain.py: what the user is told, with which
evidence, and what reaches the desk."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.chain import chain_lookup
from bot.actions.dialogue import ActionStartCase
from bot.actions.forensic import ActionForensicCheck, ValidateStolenFundsForm
from bot.actions.handoff import ActionTransferSummary, summary_line
from bot.actions.poisoning import forensics
from bot.chain import ChainSettings
from common.payload import Details, HandoffPayload, HandoffReason
from tests.fakes import chain_forensic as acct
from tests.fakes.chain import BOB, Nodes
from tests.support.trackers import load_domain, responses, run, tracker


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[Nodes]:
    nodes = Nodes()
    nodes.configure(
        monkeypatch,
        SPENDER_ALLOWLIST=json.dumps({"ethereum": [acct.ROUTER]}),
        CALL_TIMEOUT_SECONDS="1",
        FORENSIC_BUDGET_SECONDS="2.5",
    )
    yield nodes
    forensics.cache_clear()
    chain_lookup.cache_clear()
    nodes.close()


def forensic(
    domain: dict[str, Any], address: str, chain: str = "unknown", language: str = "en"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    forensics.cache_clear()  # one client per event loop
    slots = {
        "chain": chain,
        "affected_address": address,
        "transfer_time": "last night",
        "language": language,
    }
    return run(ActionForensicCheck(), tracker("last night", "inform", slots=slots), domain)


APPROVAL_WORDS = {
    "en": "never ask you to sign",
    "zh": "绝不会让您签名",
    "es": "nunca te pedirá que firmes",
}


def handoff(messages: list[dict[str, Any]]) -> HandoffPayload:
    return HandoffPayload.from_message(next(m for m in messages if m.get("custom"))["custom"])


def said(messages: list[dict[str, Any]], response: str) -> dict[str, Any]:
    return next(m for m in messages if m.get("response") == response)


def test_a_hijacked_tron_owner_is_explained_and_handed_off_urgent(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, slots = forensic(domain, acct.TRON_HIJACKED, "tron", "zh")
    assert responses(messages) == [
        "utter_forensic_findings",
        "utter_forensic_compromised",
        "utter_handoff",
    ]
    findings = said(messages, "utter_forensic_findings")["findings"]
    assert "所有者权限被修改" in findings and acct.TRON_ATTACKER in findings
    assert acct.UPDATE_TX in findings  # the evidence: the permission update's tx
    assert said(messages, "utter_forensic_compromised")["approvals_url"].startswith("https://")
    payload = handoff(messages)
    assert (payload.reason, payload.priority, payload.sla_hours) == ("stolen_funds", "urgent", 1)
    case = payload.details.forensic or {}
    assert case["verdict"] == "compromised" and payload.details.affected_address == (
        acct.TRON_HIJACKED
    )
    assert "forensic COMPROMISED" in payload.summary and acct.TRON_ATTACKER in payload.summary
    assert slots["forensic"]["verdict"] == "compromised"


def test_a_multisig_on_active_only_is_urgent_too(nodes: Nodes, domain: dict[str, Any]) -> None:
    messages, _ = forensic(domain, acct.TRON_ACTIVE_ONLY, "tron")
    assert "Active permission changed" in said(messages, "utter_forensic_findings")["findings"]
    assert handoff(messages).priority == "urgent"


def test_a_drainer_approval_names_its_tx_and_the_router_is_not_flagged(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, _ = forensic(domain, acct.DRAINED, "ethereum", "es")
    findings = said(messages, "utter_forensic_findings")["findings"]
    drainer = next(line for line in findings.splitlines() if "ilimitado" in line)
    assert (
        "no es una app conocida" in drainer and "https://etherscan.io/tx/0x" + "f2" * 32 in drainer
    )
    router = next(line for line in findings.splitlines() if "50 USDC" in line)
    assert "no es una app conocida" not in router
    assert handoff(messages).priority == "urgent"


def test_a_poisoning_pair_explains_the_scam_and_offers_a_human(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, slots = forensic(domain, acct.POISONED)
    assert responses(messages) == [
        "utter_forensic_findings",
        "utter_forensic_poisoning",
        "utter_offer_human",
    ]
    assert "Look-alike address" in said(messages, "utter_forensic_findings")["findings"]
    assert (
        slots["handoff_reason"] == "stolen_funds" and slots["forensic"]["verdict"] == "suspicious"
    )


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_a_limited_approval_to_an_unknown_app_is_told_how_to_revoke_it(
    nodes: Nodes, domain: dict[str, Any], language: str
) -> None:
    # Suspicious, not a takeover: the advice is the approvals page, not address poisoning.
    messages, slots = forensic(domain, acct.LIMITED, "ethereum", language)
    assert responses(messages) == ["utter_forensic_findings", "utter_offer_human"]
    assert (
        "https://etherscan.io/tx/0x" + "fc" * 32
        in said(messages, "utter_forensic_findings")["findings"]
    )
    advice = next(m["text"] for m in messages if m.get("text"))
    assert ChainSettings().approvals_url in advice and APPROVAL_WORDS[language] in advice
    assert slots["forensic"]["verdict"] == "suspicious"


@pytest.mark.parametrize("address", [acct.CLEAN, acct.TRON_CLEAN])
def test_a_clean_account_says_nothing_suspicious_and_offers_a_human(
    nodes: Nodes, domain: dict[str, Any], address: str
) -> None:
    messages, slots = forensic(domain, address)
    assert responses(messages)[-2:] == ["utter_forensic_clean", "utter_offer_human"]
    assert slots["pending_question"] == "offer_human"


def test_a_node_timing_out_half_way_is_said_to_be_partial(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    nodes.hang_on = {"eth_call"}
    messages, slots = forensic(domain, acct.DRAINED, "ethereum")
    assert "utter_forensic_incomplete" in responses(messages)
    assert "utter_forensic_clean" not in responses(messages)
    assert slots["forensic"]["partial"] is True


def test_hostile_nodes_are_couldnt_check_never_a_crash(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    nodes.mode = {"ethereum": "garbage", "tron": "500", "tron-index": "garbage"}
    for address in (acct.DRAINED, acct.TRON_HIJACKED):
        messages, _ = forensic(domain, address)
        assert responses(messages) == ["utter_forensic_incomplete", "utter_offer_human"]


def test_without_a_node_the_details_still_reach_a_human(
    domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHAIN_EVM_ENDPOINTS", raising=False)
    monkeypatch.delenv("CHAIN_TRON_ENDPOINT", raising=False)
    messages, _ = forensic(domain, acct.TRON_HIJACKED, "tron")
    assert responses(messages) == ["utter_forensic_cannot_check", "utter_handoff"]
    payload = handoff(messages)
    assert payload.details.affected_address == acct.TRON_HIJACKED and payload.priority == "high"
    forensics.cache_clear()


def test_an_address_no_node_reads_is_handed_on_unchecked(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    messages, _ = forensic(domain, "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bitcoin")
    assert responses(messages) == ["utter_forensic_cannot_check", "utter_handoff"]
    assert nodes.calls == []


def test_the_form_validates_the_address_and_reads_the_network_from_it() -> None:
    form = ValidateStolenFundsForm()
    asked = {"requested_slot": "affected_address", "chain": "unknown"}
    dispatcher = CollectingDispatcher()
    result = asyncio.run(
        form.validate_affected_address(acct.TRON_CLEAN, dispatcher, tracker(slots=asked), {})
    )
    assert result == {"affected_address": acct.TRON_CLEAN, "chain": "tron"}
    bad = acct.TRON_CLEAN[:-1] + ("A" if acct.TRON_CLEAN[-1] != "A" else "B")
    result = asyncio.run(form.validate_affected_address(bad, dispatcher, tracker(slots=asked), {}))
    assert result == {"affected_address": None}
    assert dispatcher.messages[-1]["response"] == "utter_invalid_address"


def test_a_missing_transfer_to_a_lookalike_is_called_poisoning(
    nodes: Nodes, domain: dict[str, Any]
) -> None:
    meant = "0x2222" + "00" * 16 + "2222"  # the chain shows BOB: 0x2222…2222
    slots = {"chain": "ethereum", "tx_hash": "0x" + "a1" * 32, "to_address": meant}
    chain_lookup.cache_clear()
    messages, events = run(ActionTransferSummary(), tracker("", slots=slots), domain)
    assert "utter_tx_poisoning" in responses(messages)
    assert said(messages, "utter_tx_poisoning")["recipient"].lower() == BOB
    assert events["tx_check"]["poisoning"] is True
    line = summary_line(
        HandoffReason.MISSING_TRANSFER,
        Details(to_address=meant, chain_check=events["tx_check"]),
        "",
    )
    assert "ADDRESS POISONING" in line


def test_a_case_started_from_the_article_is_a_stolen_funds_case(domain: dict[str, Any]) -> None:
    # The knowledge base chose the stolen-funds article for an ask_faq message: the
    # flow's own intro and reason, not the missing-transfer ones.
    said = tracker(
        f"my wallet {acct.TRON_CLEAN} was emptied",
        "ask_faq",
        slots={"to_address": acct.TRON_CLEAN},
        entities=[{"entity": "address", "value": acct.TRON_CLEAN}],
    )
    messages, slots = run(ActionStartCase("stolen_funds"), said, domain)
    assert responses(messages) == ["utter_stolen_funds_intro"]
    assert slots["handoff_reason"] == "stolen_funds"
    assert (slots["affected_address"], slots["to_address"]) == (acct.TRON_CLEAN, None)
