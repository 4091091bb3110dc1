"""Custom actions against real rasa_sdk ``Tracker`` objects and the real KB."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.dialogue import ActionPasswordReset, ActionStartCase
from bot.actions.forms import ValidateMissingTransferForm
from bot.actions.handoff import ActionHandoff, ActionTransferSummary
from bot.actions.language import ActionChangeLanguage, ActionSessionStart, ValidateSlotMappings
from bot.actions.respond import ActionRespond
from bot.actions.yes_no import ActionAnswerYesNo, ActionCancelOutsideForm
from common.payload import HandoffPayload
from tests.support.trackers import TRON_HASH, load_domain, responses, run, said, tracker


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


def test_faq_answers_in_the_users_language(kb: Any, domain: dict[str, Any]) -> None:
    messages, slots = run(
        ActionRespond(), tracker("客服电话是多少", slots={"language": "zh"}), domain
    )
    assert "+1 555 0100" in messages[0]["text"]
    assert "客服" in messages[0]["text"]
    assert slots["failed_turns"] == 0
    assert slots["last_article"] == "phone-support"


def test_two_misses_in_a_row_offer_a_human(kb: Any, domain: dict[str, Any]) -> None:
    nonsense = "qwpoeiru zxmcnv"
    messages, slots = run(ActionRespond(), tracker(nonsense, "nlu_fallback"), domain)
    # A miss says so plainly; "I couldn't handle that" is for when something broke.
    assert responses(messages) == ["utter_kb_miss"]
    assert slots["failed_turns"] == 1
    second = tracker(nonsense, "nlu_fallback", slots={"failed_turns": 1})
    messages, slots = run(ActionRespond(), second, domain)
    assert responses(messages) == ["utter_kb_miss", "utter_offer_human"]
    assert slots["pending_question"] == "offer_human"
    assert slots["handoff_reason"] == "no_answer"


def test_an_empty_message_gets_a_clear_reply(kb: Any, domain: dict[str, Any]) -> None:
    messages, slots = run(ActionRespond(), tracker("   "), domain)
    assert responses(messages) == ["utter_empty_message"]
    assert slots == {}


def test_password_flow_with_a_lost_phrase_offers_a_human(domain: dict[str, Any]) -> None:
    messages, slots = run(
        ActionPasswordReset(), tracker("forgot my password", "password_reset"), domain
    )
    assert responses(messages) == ["utter_password_reset"]
    assert slots == {"pending_question": "has_recovery_phrase"}
    answer = tracker("no", "deny", slots={"pending_question": "has_recovery_phrase"})
    messages, slots = run(ActionAnswerYesNo(), answer, domain)
    assert responses(messages) == ["utter_password_no_phrase", "utter_offer_human"]
    assert slots["pending_question"] == "offer_human"
    assert slots["handoff_reason"] == "password_lost"


def test_yes_to_the_offer_hands_off(domain: dict[str, Any]) -> None:
    slots_before = {
        "pending_question": "offer_human",
        "handoff_reason": "no_answer",
        "language": "es",
    }
    messages, slots = run(ActionAnswerYesNo(), tracker("sí", "affirm", slots=slots_before), domain)
    assert responses(messages) == ["utter_handoff"]
    payload = HandoffPayload.from_message(messages[1]["custom"])
    assert payload.reason == "no_answer"
    assert payload.language == "es"
    assert slots["pending_question"] is None


def test_yes_without_a_question_is_harmless(domain: dict[str, Any]) -> None:
    messages, _ = run(ActionAnswerYesNo(), tracker("yes", "affirm"), domain)
    assert responses(messages) == ["utter_how_can_i_help"]


@pytest.mark.parametrize(
    ("language", "first", "then"),
    [
        ("zh", "怎么查看交易记录", "能导出吗"),
        ("en", "how do I see my transaction history?", "can I export it?"),
        ("es", "¿cómo veo mi historial de transacciones?", "¿se puede exportar?"),
    ],
)
def test_a_question_taken_for_a_yes_is_answered(
    kb: Any, domain: dict[str, Any], language: str, first: str, then: str
) -> None:
    """Seen in the web chat: "能导出吗" after the transaction-history answer got "OK,
    anything else?" (the NLU said cancel, 0.34); a bare "ok" or "cancel" still gets it."""
    slots = {"language": language, "last_article": "transaction-history"}
    asked = tracker(then, "affirm", confidence=0.9, slots=slots, events=[said(first)])
    messages, set_slots = run(ActionAnswerYesNo(), asked, domain)
    assert messages[0]["text"] == kb.answer("transaction-history", language)
    assert set_slots["last_article"] == "transaction-history"
    # The same question read as an unsure "cancel" (as "能导出吗" was, at 0.34).
    cancel = tracker(then, "cancel", confidence=0.34, slots=slots, events=[said(first)])
    messages, _ = run(ActionCancelOutsideForm(), cancel, domain)
    assert messages[0]["text"] == kb.answer("transaction-history", language)
    stop = {"zh": "取消", "en": "cancel", "es": "cancelar"}[language]
    cancel = tracker(stop, "cancel", confidence=0.99, slots=slots, events=[said(first)])
    messages, _ = run(ActionCancelOutsideForm(), cancel, domain)
    assert responses(messages) == ["utter_how_can_i_help"]
    bare = {"zh": "好的", "en": "ok", "es": "vale"}[language]
    plain = tracker(bare, "affirm", confidence=0.95, slots=slots, events=[said(first)])
    messages, _ = run(ActionAnswerYesNo(), plain, domain)
    assert responses(messages) == ["utter_how_can_i_help"]


def _validate(method: str, value: str, slots: dict[str, Any] | None = None, intent: str = "inform"):  # type: ignore[no-untyped-def]
    form = ValidateMissingTransferForm()
    dispatcher = CollectingDispatcher()
    result = asyncio.run(
        getattr(form, method)(value, dispatcher, tracker(value, intent, slots=slots), {})
    )
    return result, dispatcher.messages


def test_a_transfer_time_is_read_in_the_time_zone_the_page_sent() -> None:
    form = ValidateMissingTransferForm()
    said = tracker("2026-01-15 15:00", "inform", metadata={"timezone": "Europe/Madrid"})
    result = asyncio.run(
        form.validate_transfer_time("2026-01-15 15:00", CollectingDispatcher(), said, {})
    )
    assert result["transfer_time_parsed"] == "2026-01-15T15:00+01:00"  # Madrid's 3 pm


def test_form_refuses_a_bad_tx_hash_and_explains_the_format() -> None:
    result, messages = _validate("validate_tx_hash", "0xabc", {"chain": "tron"})
    assert result == {"tx_hash": None}
    assert messages[0]["response"] == "utter_invalid_tx_hash"
    assert "64" in messages[0]["expected"]
    result, messages = _validate("validate_tx_hash", TRON_HASH, {"chain": "tron"})
    assert result == {"tx_hash": TRON_HASH}
    assert messages == []


def test_form_accepts_dont_know_and_normalises_answers() -> None:
    assert _validate("validate_tx_hash", "I don't know")[0] == {"tx_hash": "unknown"}
    assert _validate("validate_chain", "/dont_know", intent="dont_know")[0] == {"chain": "unknown"}
    assert _validate("validate_chain", "trc20")[0] == {"chain": "tron"}
    assert _validate("validate_amount", "100u")[0] == {"amount": "100 USDT", "token": "USDT"}
    result = _validate("validate_transfer_time", "昨天下午三点")[0]
    assert result["transfer_time"] == "昨天下午三点"
    assert result["transfer_time_parsed"].endswith("T15:00+08:00")  # the desk's zone


def test_form_run_rejects_the_bad_slot(domain: dict[str, Any]) -> None:
    user = {"event": "user", "text": "0xabc", "parse_data": {"intent": {"name": "inform"}}}
    t = Tracker(
        "tester",
        {"chain": "ethereum", "requested_slot": "tx_hash", "tx_hash": "0xabc"},
        {"text": "0xabc", "intent": {"name": "inform"}, "entities": []},
        [user, {"event": "slot", "name": "tx_hash", "value": "0xabc"}],
        False,
        None,
        {"name": "missing_transfer_form"},
        "action_listen",
    )
    messages, slots = run(ValidateMissingTransferForm(), t, domain)
    assert slots["tx_hash"] is None
    assert responses(messages) == ["utter_invalid_tx_hash"]


def test_start_case_keeps_only_what_this_message_said(domain: dict[str, Any]) -> None:
    t = tracker("my 100u hasn't arrived", "missing_transfer", slots={"tx_hash": "old"})
    t.latest_message["entities"] = [{"entity": "amount", "value": "100 USDT"}]
    messages, slots = run(ActionStartCase(), t, domain)
    assert responses(messages) == ["utter_missing_transfer_intro"]
    assert slots["tx_hash"] is None
    assert "amount" not in slots
    assert slots["handoff_reason"] == "missing_transfer"


def test_summary_spots_a_wrong_network(domain: dict[str, Any]) -> None:
    case = {
        "chain": "ethereum",
        "token": "USDT",
        "amount": "100 USDT",
        "tx_hash": "0x" + "a" * 64,
        "transfer_time": "yesterday",
        "to_address": "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
    }
    messages, slots = run(ActionTransferSummary(), tracker("", slots=case), domain)
    assert responses(messages) == [
        "utter_transfer_summary",
        "utter_transfer_advice_wrong_network",
        "utter_offer_human",
    ]
    assert "100 USDT" in messages[0]["summary"]
    assert slots["pending_question"] == "offer_human"


def test_handoff_payload_carries_details_and_transcript(domain: dict[str, Any]) -> None:
    history = [
        {"event": "user", "text": "我的USDT没到账", "timestamp": 1_763_000_000.0},
        {"event": "bot", "text": "请发送交易哈希", "timestamp": 1_763_000_001.0},
    ]
    case = {
        "chain": "tron",
        "amount": "100 USDT",
        "tx_hash": TRON_HASH,
        "to_address": "unknown",
        "transfer_time": "昨天下午三点",
        "transfer_time_parsed": "2026-11-22T15:00",
        "handoff_reason": "missing_transfer",
        "language": "zh",
    }
    messages, slots = run(
        ActionHandoff(), tracker("转人工", "request_human", slots=case, events=history), domain
    )
    assert responses(messages) == ["utter_handoff"]
    assert messages[0]["sla_hours"] == 48
    payload = HandoffPayload.from_message(messages[1]["custom"])
    assert payload.reason == "missing_transfer"
    assert payload.details.tx_hash == TRON_HASH
    assert payload.details.to_address == "unknown"
    assert payload.details.transfer_time is not None
    assert payload.details.transfer_time.parsed == "2026-11-22T15:00"
    assert [line.role for line in payload.transcript] == ["user", "bot", "user"]
    assert payload.transcript[0].text == "我的USDT没到账"
    assert "amount=100 USDT" in payload.summary
    assert slots["handoff_reason"] is None


def test_a_complaint_is_high_priority(domain: dict[str, Any]) -> None:
    messages, _ = run(ActionHandoff(), tracker("this service is terrible", "complaint"), domain)
    assert responses(messages) == ["utter_handoff_complaint"]
    payload = HandoffPayload.from_message(messages[1]["custom"])
    assert (payload.reason, payload.priority) == ("complaint", "high")


def test_language_slot_prefers_metadata_then_text(domain: dict[str, Any]) -> None:
    action = ValidateSlotMappings()
    dispatcher = CollectingDispatcher()
    from_metadata = tracker("hello", metadata={"language": "zh-CN"})
    assert asyncio.run(action.extract_language(dispatcher, from_metadata, domain)) == {
        "language": "zh"
    }
    from_text = tracker("mi transferencia no llegó", slots={"language": "en"})
    assert asyncio.run(action.extract_language(dispatcher, from_text, domain)) == {"language": "es"}
    locked = tracker("hello there", slots={"language": "es", "language_locked": True})
    assert asyncio.run(action.extract_language(dispatcher, locked, domain)) == {}


def test_change_language_confirms_in_the_new_language(domain: dict[str, Any]) -> None:
    messages, slots = run(ActionChangeLanguage(), tracker("说中文", "change_language"), domain)
    assert slots == {"language": "zh", "language_locked": True}
    assert "中文" in messages[0]["text"]
    messages, slots = run(
        ActionChangeLanguage(), tracker("another language", "change_language"), domain
    )
    assert responses(messages) == ["utter_ask_language"]
    assert slots == {}


def test_an_unsure_change_language_is_a_question_about_languages(
    kb: Any, domain: dict[str, Any]
) -> None:
    """Seen in the quality work: a question about Spanish support scored change_language
    0.64, and the conversation was switched to Spanish and locked there."""
    text = "我爸只会说西班牙语，他能用西语找客服吗"
    t = tracker(text, "change_language", confidence=0.64, slots={"language": "zh"})
    messages, slots = run(ActionChangeLanguage(), t, domain)
    assert "language_locked" not in slots and "language" not in slots
    assert slots["last_article"] == "languages-supported"
    assert messages[0]["text"] == kb.answer("languages-supported", "zh")


def test_session_start_sets_service_facts_and_channel_language(domain: dict[str, Any]) -> None:
    t = tracker(
        "",
        slots={
            "session_started_metadata": {"language": "es"},
            "chain": "tron",
            "pending_question": "offer_human",
        },
    )
    _, slots = run(ActionSessionStart(), t, domain)
    assert slots["app_name"] == "Acme Wallet"
    assert slots["dispute_sla_hours"] == "24"
    assert slots["language"] == "es"
    assert slots["chain"] == "tron"  # what the user told us is carried over
    assert "pending_question" not in slots  # the last conversation's question is not


def test_a_reset_slot_is_not_validated_as_an_answer() -> None:
    for method in (
        "validate_transfer_time",
        "validate_tx_hash",
        "validate_chain",
        "validate_amount",
    ):
        form = ValidateMissingTransferForm()
        dispatcher = CollectingDispatcher()
        result = asyncio.run(getattr(form, method)(None, dispatcher, tracker("hi", "greet"), {}))
        assert list(result.values()) == [None]
        assert dispatcher.messages == []


def test_misses_count_only_in_a_row(domain: dict[str, Any]) -> None:
    action = ValidateSlotMappings()
    dispatcher = CollectingDispatcher()
    understood = tracker("hello", "greet", slots={"failed_turns": 1})
    assert asyncio.run(action.extract_failed_turns(dispatcher, understood, domain)) == {
        "failed_turns": 0
    }
    another_miss = tracker("qwerty", "nlu_fallback", slots={"failed_turns": 1})
    assert asyncio.run(action.extract_failed_turns(dispatcher, another_miss, domain)) == {}


def test_action_responses_are_still_validated_after_the_speed_fix() -> None:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    from bot.rasa_server import install

    install()
    action = RemoteAction("action_respond", None)
    assert action._validate_action_result({"events": [], "responses": [{"text": "hi"}]})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": [{"no_event_key": 1}], "responses": "not a list"})


def test_transcript_shows_button_titles_not_payloads(domain: dict[str, Any]) -> None:
    history = [
        {
            "event": "bot",
            "text": "需要我为您转接人工客服吗？",
            "data": {"buttons": [{"title": "是，转人工", "payload": "/affirm"}]},
        },
    ]
    t = tracker("/affirm", "affirm", slots={"language": "zh"}, events=history)
    messages, _ = run(ActionHandoff(), t, domain)
    payload = HandoffPayload.from_message(messages[1]["custom"])
    assert [line.text for line in payload.transcript] == [
        "需要我为您转接人工客服吗？",
        "[是，转人工]",
    ]


def test_ticket_status_reads_the_desk(
    kb: Any, domain: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.actions import tickets
    from store import handoffs
    from store.db import make_engine, migrate, session_factory

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    tickets.desk_sessions.cache_clear()
    migrate(make_engine(url))
    try:
        messages, _ = run(tickets.ActionTicketStatus(), tracker("my ticket?"), domain)
        assert responses(messages) == ["utter_ticket_none", "utter_offer_human"]
        assert "48" in messages[1]["text"]  # the reply-time article
        payload = HandoffPayload(
            conversation_id="tester", reason="dispute", language="en", summary="s", sla_hours=24
        )
        with session_factory(make_engine(url)).begin() as db:
            session, _ = handoffs.open_session(db, payload, kind="ticket")
            number = session.ticket
        messages, _ = run(tickets.ActionTicketStatus(), tracker("my ticket?"), domain)
        assert responses(messages) == ["utter_ticket_waiting"]
        assert messages[0]["ticket"] == number and "Asia/Shanghai" in messages[0]["due"]
    finally:
        tickets.desk_sessions.cache_clear()
