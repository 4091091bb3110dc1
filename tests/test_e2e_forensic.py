"""The stolen-funds conversation end to end (issue 20, "Then"), in zh, en and es, through
Rasa, the action server and (for one) the gateway, against the local nodes of
tests/fakes/chain.py and the accounts of tests/fakes/chain_forensic.py."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.fakes import chain_forensic as acct
from tests.fakes.chain import Nodes
from tests.support.servers import Servers, payloads, text

pytestmark = pytest.mark.e2e

QUESTIONS = [  # what the form asks, in any of the three languages -> answer key
    (re.compile(r"哪条链|网络|network|\bred\b", re.IGNORECASE), "chain"),
    (re.compile(r"哪个地址|which address|qué dirección", re.IGNORECASE), "address"),
    (re.compile(r"什么时候|when|cuándo", re.IGNORECASE), "time"),
]
WHEN = {"en": "last night", "zh": "昨晚", "es": "anoche"}


def answer(last_line: str, chain: str, address: str, language: str) -> str | None:
    key = next((k for pattern, k in QUESTIONS if pattern.search(last_line)), None)
    return {"chain": chain, "address": address, "time": WHEN[language]}.get(key or "")


def stolen(
    say: Any, opening: str, chain: str, address: str, language: str
) -> tuple[str, list[dict[str, Any]]]:
    """Answer whatever the form asks; the text and replies of the turn with the findings."""
    replies = say(opening)
    for _ in range(5):
        shown = text(replies).strip()
        reply = answer(shown.splitlines()[-1] if shown else "", chain, address, language)
        if reply is None:
            return shown, replies
        replies = say(reply)
    raise AssertionError(f"the form never finished: {text(replies)}")


def via_rasa(servers: Servers, user: str, language: str) -> Any:
    return lambda message: servers.say(user, message, {"language": language})


def via_gateway(servers: Servers, language: str) -> Any:
    """A new web chat visitor: what the user sees, through the gateway."""
    gateway = servers.gateway_url
    visitor = httpx.post(f"{gateway}/webchat/api/visitors", json={"language": language})
    headers = {"authorization": f"Bearer {visitor.json()['token']}"}

    def say(message: str) -> list[dict[str, Any]]:
        sent = httpx.post(
            f"{gateway}/webchat/api/messages",
            json={"text": message, "language": language},
            headers=headers,
            timeout=60,
        )
        return [{"text": r["text"]} for r in sent.json()["replies"]]

    return say


def test_a_hijacked_tron_account_in_chinese_through_the_gateway(live_servers: Servers) -> None:
    say = via_gateway(live_servers, "zh")
    shown, _ = stolen(say, "我的波场钱包被盗了，U转不出去", "波场", acct.TRON_HIJACKED, "zh")
    assert "所有者权限被修改" in shown and acct.TRON_ATTACKER in shown
    assert acct.UPDATE_TX in shown  # the evidence: the permission update's transaction
    assert "不要再往这个地址转任何资产" in shown and "助记词应视为已泄露" in shown
    assert "客服绝不会让您签名任何东西" in shown
    assert "转接人工客服" in shown  # handed off at once, urgent (the desk's own words follow)


def test_a_drainer_approval_in_english(live_servers: Servers) -> None:
    shown, replies = stolen(
        via_rasa(live_servers, "forensic-en", "en"),
        "my wallet was drained overnight",
        "Ethereum",
        acct.DRAINED,
        "en",
    )
    assert "may spend unlimited USDT" in shown and "(not a known app)" in shown
    assert f"https://etherscan.io/tx/0x{'f2' * 32}" in shown
    assert "authorisations page" in shown and "never ask you to sign" in shown
    [handoff] = payloads(replies)
    assert (handoff.reason, handoff.priority, handoff.sla_hours) == ("stolen_funds", "urgent", 1)
    assert (handoff.details.forensic or {})["verdict"] == "compromised"


def test_a_clean_account_in_spanish_still_offers_a_human(live_servers: Servers) -> None:
    shown, replies = stolen(
        via_rasa(live_servers, "forensic-es", "es"),
        "me robaron los usdt de la billetera",
        "TRON",
        acct.TRON_CLEAN,
        "es",
    )
    assert "no encontré nada sospechoso" in shown and "agente" in shown
    assert payloads(replies) == []
    [handoff] = payloads(live_servers.say("forensic-es", "sí", {"language": "es"}))
    assert handoff.reason == "stolen_funds" and handoff.priority == "high"
    assert handoff.details.affected_address == acct.TRON_CLEAN


def test_a_poisoning_pair_in_english(live_servers: Servers) -> None:
    shown, _ = stolen(
        via_rasa(live_servers, "forensic-poison", "en"),
        "someone stole my usdt, I think I sent it to a fake address",
        "Ethereum",
        acct.POISONED,
        "en",
    )
    assert "Look-alike address" in shown and "address poisoning" in shown
    assert "middle characters" in shown


def test_a_node_hanging_half_way_is_said_to_be_partial(
    live_servers: Servers, chain_nodes: Nodes
) -> None:
    chain_nodes.hang_on = {"eth_call"}
    try:
        shown, _ = stolen(
            via_rasa(live_servers, "forensic-hang", "zh"),
            "我的以太坊钱包被盗了",
            "以太坊",
            acct.DRAINED,
            "zh",
        )
    finally:
        chain_nodes.hang_on = set()
    assert "只能部分检查" in shown and "没有发现可疑情况" not in shown.replace(
        "在能读到的数据里没有发现可疑情况", ""
    )


@pytest.mark.parametrize(
    ("language", "opening", "chain", "address", "told"),
    [
        (
            "en",
            "my wallet was drained overnight",
            "Ethereum",
            acct.DRAINED,
            ("may spend unlimited USDT", "(not a known app)", "never ask you to sign"),
        ),
        (
            "es",
            "me robaron los usdt de la billetera",
            "TRON",
            acct.TRON_CLEAN,
            ("no encontré nada sospechoso", "agente"),
        ),
    ],
)
def test_english_and_spanish_through_the_gateway(
    live_servers: Servers,
    language: str,
    opening: str,
    chain: str,
    address: str,
    told: tuple[str, ...],
) -> None:
    shown, _ = stolen(via_gateway(live_servers, language), opening, chain, address, language)
    assert all(words in shown for words in told), shown
