"""A question asked in the middle of a form is answered there; the form then asks again."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from bot.actions.forms import ValidateDisputeForm, ValidateMissingTransferForm
from tests.support.trackers import tracker


def _validate(
    form: Any, method: str, text: str, intent: str, language: str = "en"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    said = tracker(text, intent, slots={"language": language}, confidence=0.9)
    result = asyncio.run(getattr(form, method)(text, dispatcher, said, {}))
    return result, dispatcher.messages


def test_a_question_instead_of_the_network_gets_its_answer(kb: Any) -> None:
    form = ValidateMissingTransferForm()
    result, messages = _validate(form, "validate_chain", "how much is the network fee?", "ask_faq")
    assert result == {"chain": None}  # still unanswered: the form asks for it again
    assert "utter_invalid_chain" not in [m.get("response") for m in messages]
    assert "network fee" in messages[0]["text"].lower()
    assert messages[1]["custom"]["outcome"] == "answer"


def test_a_question_in_chinese_instead_of_the_amount_gets_its_answer(kb: Any) -> None:
    form = ValidateMissingTransferForm()
    result, messages = _validate(form, "validate_amount", "客服电话是多少", "ask_faq", "zh")
    assert result == {"amount": None}
    assert "+1 555 0100" in messages[0]["text"]


def test_a_wrong_answer_is_still_explained(kb: Any) -> None:
    form = ValidateMissingTransferForm()
    # Read as an answer to the form's question: never looked up.
    result, messages = _validate(form, "validate_chain", "the blue one", "inform")
    assert result == {"chain": None}
    assert [m.get("response") for m in messages] == ["utter_invalid_chain"]
    # Read as a question, but nothing in the knowledge base answers it confidently.
    result, messages = _validate(form, "validate_chain", "zzkq wibble frob", "ask_faq")
    assert [m.get("response") for m in messages] == ["utter_invalid_chain"]


def test_the_dispute_form_answers_a_question_too(kb: Any) -> None:
    form = ValidateDisputeForm()
    text = "¿cuál es el teléfono de soporte?"
    result, messages = _validate(form, "validate_amount", text, "ask_faq", "es")
    assert result == {"amount": None}
    assert "+1 555 0100" in messages[0]["text"]
