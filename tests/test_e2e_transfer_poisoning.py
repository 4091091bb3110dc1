"""Issue 20, "Then" 5 end to end WITH a node: a user whose transfer "never arrived"
pasted a look-alike of their friend's address from History. The missing-transfer
conversation finds the transfer, then the look-alike's dust in the sender's history,
names it with its transaction and explains the scam: through the gateway's web chat
in zh (TRON), en and es (Ethereum); through Rasa's REST channel for the handoff
payload's case file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.fakes import chain_forensic as acct
from tests.fakes import chain_poisoning as paid
from tests.support.servers import Servers, WebChat, payloads, text
from tests.test_e2e_chain import QUESTIONS

pytestmark = pytest.mark.e2e

OPENING = {"zh": "我的USDT没到账", "en": "my USDT never arrived", "es": "mis USDT no llegaron"}
ANSWERS = {
    "zh": {"chain": "波场", "time": "昨天下午三点", "tx": paid.TRON_PAID_LOOKALIKE},
    "en": {"chain": "Ethereum", "time": "yesterday at 3pm", "tx": paid.PAID_LOOKALIKE},
    "es": {"chain": "Ethereum", "time": "ayer a las 3", "tx": paid.PAID_LOOKALIKE},
}
TOLD = {  # the finding, and how to copy addresses safely
    "zh": ("仿冒地址", "地址簿", "中间的字符"),
    "en": ("Look-alike address", "address book", "middle characters"),
    "es": ("Dirección imitadora", "libreta", "caracteres del medio"),
}


def walk(say: Callable[[str], str], language: str, to: str) -> str:
    """The missing-transfer form, answering what it asks; the text of its last turn."""
    answers = {**ANSWERS[language], "to": to, "amount": "200", "token": "USDT"}
    shown = say(OPENING[language])
    said = [OPENING[language], shown]
    for _ in range(8):
        last_line = shown.strip().splitlines()[-1] if shown.strip() else ""
        key = next((k for pattern, k in QUESTIONS if pattern.search(last_line)), None)
        if key is None:
            return shown
        shown = say(answers[key])
        said += [answers[key], shown]
    raise AssertionError(f"the form never finished: {said}")


def via_gateway(servers: Servers, language: str) -> Callable[[str], str]:
    chat = WebChat(servers, language)
    return lambda message: text(chat.say("poisoning", message))


def test_chinese_through_the_gateway_on_tron(live_servers: Servers) -> None:
    shown = walk(via_gateway(live_servers, "zh"), "zh", acct.TRON_LOOKALIKE)
    assert f"仿冒地址 {acct.TRON_LOOKALIKE}" in shown and acct.TRON_FRIEND in shown
    assert "a8" * 32 in shown  # the evidence: the dust's transaction
    assert all(words in shown for words in TOLD["zh"])


@pytest.mark.parametrize("language", ["en", "es"])
def test_english_and_spanish_through_the_gateway(live_servers: Servers, language: str) -> None:
    shown = walk(via_gateway(live_servers, language), language, acct.LOOKALIKE)
    assert all(words in shown for words in TOLD[language])
    assert f"https://etherscan.io/tx/0x{'f7' * 32}" in shown


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_handoff_carries_the_case_file(live_servers: Servers, language: str) -> None:
    user = f"transfer-poisoning-{language}"

    def say(message: str) -> str:
        return text(live_servers.say(user, message, {"language": language}))

    shown = walk(say, language, acct.LOOKALIKE)
    assert all(words in shown for words in TOLD[language])
    assert f"https://etherscan.io/tx/0x{'f7' * 32}" in shown  # the look-alike's zero transfer
    yes = {"en": "yes", "es": "sí"}[language]
    [handoff] = payloads(live_servers.say(user, yes, {"language": language}))
    assert handoff.reason == "missing_transfer"
    case = handoff.details.forensic or {}
    assert case["verdict"] == "suspicious" and case["address"].lower() == acct.POISONED
    assert "forensic SUSPICIOUS" in handoff.summary and f"0x{'f7' * 32}" in handoff.summary
