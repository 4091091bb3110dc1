"""Issue 20, "Then" 5 without a node: a user who types both the address they meant and
the one the funds went to gets them compared (same first and last four characters,
different addresses = poisoning), told why it is a scam and how to copy addresses
safely, in zh, en and es; the agent gets both in the handoff."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.chain import chain_lookup
from bot.actions.forms import ValidateMissingTransferForm
from bot.actions.handoff import ActionHandoff
from common.casefile import VERDICTS, render
from common.payload import HandoffPayload
from tests.fakes import chain_forensic as acct
from tests.support.trackers import load_domain, responses, run, said, tracker

# What each language's line says about the pair, and what the explanation must teach.
PAIR_WORDS = {
    "en": "start and end with the same four characters, but they are different addresses",
    "zh": "前四位和后四位相同，但它们不是同一个地址",
    "es": "empiezan y terminan con los mismos cuatro caracteres, pero son direcciones distintas",
}
EVIDENCE = {
    "en": "the addresses you typed",
    "zh": "您输入的地址",
    "es": "las direcciones que escribiste",
}
SAFE_COPY = {
    "en": ("address book", "middle characters"),
    "zh": ("地址簿", "中间的字符"),
    "es": ("libreta", "caracteres del medio"),
}
BOTH = {
    "en": f"I sent it to {acct.TRON_LOOKALIKE} but it should have gone to {acct.TRON_FRIEND}",
    "zh": f"我转到了 {acct.TRON_LOOKALIKE}，本来应该转给 {acct.TRON_FRIEND}",
    "es": f"la envié a {acct.TRON_LOOKALIKE} pero era para {acct.TRON_FRIEND}",
}


@pytest.fixture(autouse=True)
def no_node(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("CHAIN_EVM_ENDPOINTS", "CHAIN_TRON_ENDPOINT", "CHAIN_TRON_INDEXER_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    chain_lookup.cache_clear()
    assert chain_lookup() is None
    yield
    chain_lookup.cache_clear()


def answer_address(
    text: str, slots: dict[str, Any], events: list[dict[str, Any]] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The missing-transfer form's validator, given *text* as the to_address answer."""
    dispatcher = CollectingDispatcher()
    asked = tracker(text, "inform", slots={"requested_slot": "to_address", **slots}, events=events)
    result = asyncio.run(
        ValidateMissingTransferForm().validate_to_address(text, dispatcher, asked, {})
    )
    return result, dispatcher.messages


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_both_addresses_in_one_answer_are_called_poisoning(language: str) -> None:
    result, messages = answer_address(BOTH[language], {"chain": "tron", "language": language})
    assert result["to_address"] == acct.TRON_LOOKALIKE  # the first one given, as before
    line = messages[0]["text"]
    assert acct.TRON_LOOKALIKE in line and acct.TRON_FRIEND in line
    assert PAIR_WORDS[language] in line and EVIDENCE[language] in line
    assert responses(messages) == ["utter_forensic_poisoning"]
    case = result["forensic"]
    assert case["verdict"] == "suspicious" and case["address"] == acct.TRON_LOOKALIKE
    [finding] = case["findings"]
    assert (finding["kind"], finding["chain"]) == ("lookalike_pair", "tron")
    assert {finding["counterparty"], finding["lookalike_of"]} == {
        acct.TRON_LOOKALIKE,
        acct.TRON_FRIEND,
    }


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_the_explanation_teaches_safe_copying_in_every_language(language: str) -> None:
    variants = load_domain()["responses"]["utter_forensic_poisoning"]
    texts = {next((c["value"] for c in v.get("condition", [])), "en"): v["text"] for v in variants}
    assert all(words in texts[language] for words in SAFE_COPY[language])


def test_an_address_said_earlier_is_compared_with_the_answer() -> None:
    earlier = said(f"my friend's address is {acct.FRIEND}, he got nothing")
    result, messages = answer_address(
        acct.LOOKALIKE, {"chain": "ethereum", "language": "en"}, [earlier]
    )
    assert result["to_address"] == acct.LOOKALIKE
    assert responses(messages) == ["utter_forensic_poisoning"]
    assert result["forensic"]["address"] == acct.LOOKALIKE


@pytest.mark.parametrize(
    "text",
    [
        f"sent to {acct.FRIEND}, meant {acct.THIEF}",  # different, not look-alikes
        f"{acct.FRIEND} or {acct.FRIEND.upper().replace('0X', '0x')}",  # the same, in capitals
        acct.TRON_FRIEND,  # one address only
    ],
)
def test_no_warning_without_a_look_alike_pair(text: str) -> None:
    result, messages = answer_address(text, {"language": "en"})
    assert "forensic" not in result and messages == []


def test_the_pair_is_told_once() -> None:
    result, _ = answer_address(BOTH["en"], {"chain": "tron"})
    again, messages = answer_address(BOTH["en"], {"chain": "tron", "forensic": result["forensic"]})
    assert messages == [] and "forensic" not in again


def test_the_agent_gets_both_addresses_in_the_handoff() -> None:
    result, _ = answer_address(BOTH["en"], {"chain": "tron"})
    slots = {
        "chain": "tron",
        "to_address": result["to_address"],
        "forensic": result["forensic"],
        "handoff_reason": "missing_transfer",
    }
    messages, _ = run(ActionHandoff(), tracker("yes", "affirm", slots=slots), load_domain())
    payload = HandoffPayload.from_message(next(m for m in messages if m.get("custom"))["custom"])
    assert payload.reason == "missing_transfer"
    assert "forensic SUSPICIOUS" in payload.summary and "lookalike_pair" in payload.summary
    assert acct.TRON_LOOKALIKE in payload.summary and acct.TRON_FRIEND in payload.summary


@pytest.mark.parametrize("language", ["en", "zh", "es"])
def test_the_case_file_for_the_agent_and_the_user_names_the_pair(language: str) -> None:
    result, _ = answer_address(BOTH["en"], {"chain": "tron"})
    report = render({"forensic": result["forensic"], "chain": "tron"}, language)  # type: ignore[arg-type]
    pair_line = next(line for line in report.splitlines() if PAIR_WORDS[language] in line)
    assert acct.TRON_LOOKALIKE in pair_line and acct.TRON_FRIEND in pair_line
    assert EVIDENCE[language] in pair_line
    assert VERDICTS["suspicious"][language] in report
