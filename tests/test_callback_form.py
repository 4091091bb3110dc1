"""The callback form's actions with real rasa-sdk trackers: the number read from the
gateway's tokens (or, without a gateway, from the text), asked again with an example in
the user's language, and slots proposed or taken (bot/actions/callback.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.callback import (
    ActionAskCallbackPhone,
    ActionAskCallbackSlot,
    ActionBookCallback,
    ActionStartCallback,
    ValidateCallbackForm,
)
from bot.actions.shared import render_response
from common.payload import HandoffPayload
from tests.support.trackers import load_domain, responses, run, tracker

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOMAIN = load_domain()


def tomorrow(hour: int) -> datetime:
    day = datetime.now(SHANGHAI) + timedelta(days=1)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def validate(slot: str, value: str, **kw: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateCallbackForm(), f"validate_{slot}")
    result = asyncio.run(method(value, dispatcher, tracker(value, "inform", **kw), DOMAIN))
    return result, dispatcher.messages


@pytest.mark.parametrize(
    "value", ["[phone …8000]", "my number is [phone …8000] thanks", "+86 138 0013 8000"]
)
def test_a_number_is_kept_as_its_token(value: str) -> None:
    result, said = validate("callback_phone", value)
    assert result == {"callback_phone": "[phone …8000]"} and said == []


@pytest.mark.parametrize("language", ["zh", "en", "es"])
@pytest.mark.parametrize("value", ["[invalid phone …5678]", "12345678", "tomorrow", "why?"])
def test_a_wrong_number_is_asked_again_with_an_example(language: str, value: str) -> None:
    result, said = validate("callback_phone", value, slots={"language": language})
    assert result == {"callback_phone": None}
    assert responses(said) == ["utter_callback_invalid_phone"]
    assert said[0]["example"] == "+86 131 2345 6789"  # SUPPORT_CALLBACK_REGION=CN
    assert "{example}" in render_response(DOMAIN, "utter_callback_invalid_phone", language)


def test_slots_reset_when_the_form_starts_are_asked_for_not_refused() -> None:
    # Seen over the web chat: "can someone call me back?" got "that doesn't look like a
    # valid phone number" and "I couldn't read that as a time" before the first question.
    dispatcher = CollectingDispatcher()
    form = ValidateCallbackForm()
    said = tracker("can someone call me back?", "request_callback")
    for slot in ("callback_phone", "callback_slot"):
        result = asyncio.run(getattr(form, f"validate_{slot}")(None, dispatcher, said, DOMAIN))
        assert result == {slot: None}
    assert dispatcher.messages == []


def test_a_pressed_slot_is_taken() -> None:
    start = tomorrow(10).isoformat()
    result, said = validate("callback_slot", f'/inform{{"callback_slot": "{start}"}}')
    assert result == {"callback_slot": start, "callback_offer": None} and said == []


@pytest.mark.parametrize("words", ["tomorrow at 10", "明天上午10点", "mañana a las 10"])
def test_a_natural_time_inside_the_hours_is_taken(words: str) -> None:
    result, _ = validate("callback_slot", words)
    assert result["callback_slot"] == tomorrow(10).isoformat()


def test_a_time_outside_the_hours_gets_the_next_slots() -> None:
    result, said = validate("callback_slot", "明天凌晨3点")
    assert responses(said) == ["utter_callback_outside_hours"]
    assert result["callback_slot"] is None
    assert result["callback_offer"] == [tomorrow(9).isoformat(), tomorrow(9).replace(minute=30).isoformat(), tomorrow(10).isoformat()]  # fmt: skip


def test_a_day_alone_offers_that_days_slots() -> None:
    result, said = validate("callback_slot", "tomorrow")
    assert said == [] and result["callback_slot"] is None
    assert result["callback_offer"][0] == tomorrow(9).isoformat()


def test_an_unreadable_time_is_said_so() -> None:
    result, said = validate("callback_slot", "whenever works for you")
    assert responses(said) == ["utter_callback_bad_time"] and result["callback_slot"] is None


def test_the_slot_question_offers_buttons_or_the_proposed_ones() -> None:
    said, slots = run(ActionAskCallbackSlot(), tracker("x", slots={"language": "es"}), DOMAIN)
    assert responses(said)[0] in ("utter_callback_ask_slot", "utter_callback_ask_slot_closed")
    assert len(said[0]["buttons"]) == 3 and slots == {"callback_offer": None}
    offer = [tomorrow(16).isoformat()]
    t = tracker("x", slots={"language": "zh", "callback_offer": offer})
    said, _ = run(ActionAskCallbackSlot(), t, DOMAIN)
    assert responses(said) == ["utter_callback_pick"]
    [button] = said[0]["buttons"]
    assert button["title"].endswith("16:00–16:30") and offer[0] in button["payload"]


def test_the_number_question_asks_the_gateway_to_mask_the_answer() -> None:
    said, _ = run(ActionAskCallbackPhone(), tracker("call me"), DOMAIN)
    assert responses(said) == ["utter_callback_ask_phone"]
    assert said[1]["custom"] == {"expect": "phone"}


def test_a_number_given_with_the_request_is_kept() -> None:
    said, slots = run(ActionStartCallback(), tracker("call me at [phone …8000]"), DOMAIN)
    assert responses(said) == ["utter_callback_intro"]
    assert slots["callback_phone"] == "[phone …8000]" and slots["callback_slot"] is None


def test_the_booking_is_a_callback_payload_with_the_masked_number() -> None:
    start = tomorrow(10)
    slots = {
        "language": "en",
        "callback_phone": "[phone …8000]",
        "callback_slot": start.isoformat(),
    }
    said, cleared = run(ActionBookCallback(), tracker("x", slots=slots), DOMAIN)
    payload = HandoffPayload.from_message(said[0]["custom"])
    assert payload.reason == "callback"
    assert payload.details.callback == {
        "phone": "[phone …8000]",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
    }
    assert cleared["callback_phone"] is None and cleared["callback_slot"] is None


def test_a_callback_request_starts_the_form_and_a_number_question_gets_the_article() -> None:
    from bot.decision import ARTICLE_FLOWS, Candidate, decide

    phone = [Candidate("phone-support", 0.8), Candidate("service-hours", 0.1)]
    assert decide("request_callback", 0.9, phone).flow == "callback"
    assert decide("ask_faq", 0.9, phone).article == "phone-support"
    assert "phone-support" not in ARTICLE_FLOWS  # its "did you mean" button answers it
