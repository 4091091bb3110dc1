"""Issue 20, "Then" 5 end to end with NO chain node configured: a user who types both
the address they meant and the one the funds went to is told it is address poisoning
and how to copy addresses safely, in zh (through the gateway's web chat), en and es
(Rasa's REST channel); the agent gets both addresses in the handoff."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fakes import chain_forensic as acct
from tests.support.servers import Servers, payloads, running_servers, text
from tests.test_e2e_chain import QUESTIONS

pytestmark = pytest.mark.e2e

BOTH = {
    "zh": f"我转到了 {acct.TRON_LOOKALIKE}，本来应该转给 {acct.TRON_FRIEND}",
    "en": f"it went to {acct.TRON_LOOKALIKE} but I meant {acct.TRON_FRIEND}",
    "es": f"se fue a {acct.TRON_LOOKALIKE} pero yo quería enviarla a {acct.TRON_FRIEND}",
}
ANSWERS = {
    "zh": {"chain": "波场", "time": "昨天下午三点"},
    "en": {"chain": "TRON", "time": "yesterday at 3pm"},
    "es": {"chain": "TRON", "time": "ayer a las 3"},
}
TOLD = {  # the pair, and how to copy addresses safely
    "zh": ("前四位和后四位相同", "地址簿", "中间的字符"),
    "en": ("start and end with the same four characters", "address book", "middle characters"),
    "es": (
        "empiezan y terminan con los mismos cuatro caracteres",
        "libreta",
        "caracteres del medio",
    ),
}
OPENING = {"zh": "我的USDT没到账", "en": "my USDT never arrived", "es": "mis USDT no llegaron"}


@pytest.fixture(scope="module")
def no_node_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    if os.environ.get("E2E_NO_NODE_URLS"):  # "RASA GATEWAY" of a running stack without nodes
        rasa, gateway = os.environ["E2E_NO_NODE_URLS"].split()
        yield Servers(rasa, "", gateway)
        return
    # No warm-up turn: the servers build what the first form turn needs before they
    # listen (bot/warm.py), so the first conversation, through the gateway, is the test.
    with running_servers(tmp_path_factory.mktemp("lookalike"), with_gateway=True) as servers:
        yield servers


def walk(say: Callable[[str], str], language: str) -> str:
    """The missing-transfer form, answering what it asks; the address answer gives both."""
    answers = {
        **ANSWERS[language],
        "tx": "b1" * 32,
        "to": BOTH[language],
        "amount": "100",
        "token": "USDT",
    }
    shown = say(OPENING[language])
    said = [OPENING[language], shown]
    for _ in range(8):
        last_line = shown.strip().splitlines()[-1] if shown.strip() else ""
        key = next((k for pattern, k in QUESTIONS if pattern.search(last_line)), None)
        if key is None:
            raise AssertionError(f"the form never asked for the address: {said}")
        shown = say(answers[key])
        said += [answers[key], shown]
        if key == "to":
            return shown
    raise AssertionError(f"the form never finished: {shown}")


def test_chinese_through_the_gateway(no_node_servers: Servers) -> None:
    gateway = no_node_servers.gateway_url
    token = httpx.post(f"{gateway}/webchat/api/visitors", json={"language": "zh"}).json()["token"]

    def say(message: str) -> str:
        sent = httpx.post(
            f"{gateway}/webchat/api/messages",
            json={"text": message, "language": "zh"},
            headers={"authorization": f"Bearer {token}"},
            timeout=60,
        )
        return "\n".join(r["text"] for r in sent.json()["replies"])

    shown = walk(say, "zh")
    assert acct.TRON_LOOKALIKE in shown and acct.TRON_FRIEND in shown
    assert all(words in shown for words in TOLD["zh"])


@pytest.mark.parametrize("language", ["en", "es"])
def test_english_and_spanish_and_the_handoff(no_node_servers: Servers, language: str) -> None:
    user = f"lookalike-{language}"

    def say(message: str) -> str:
        return text(no_node_servers.say(user, message, {"language": language}))

    shown = walk(say, language)
    assert acct.TRON_LOOKALIKE in shown and acct.TRON_FRIEND in shown
    assert all(words in shown for words in TOLD[language])
    yes = {"en": "yes", "es": "sí"}[language]
    replies: list[dict[str, Any]] = no_node_servers.say(user, yes, {"language": language})
    [handoff] = payloads(replies)
    assert handoff.reason == "missing_transfer"
    assert "lookalike_pair" in handoff.summary and acct.TRON_FRIEND in handoff.summary
    assert (handoff.details.forensic or {})["verdict"] == "suspicious"
