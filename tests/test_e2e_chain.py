"""The missing-transfer conversation reads the blockchain: one diagnosis per case, in
several languages, against the local nodes of tests/fakes/chain.py."""

from __future__ import annotations

import re

import pytest

from tests.fakes.chain import Nodes
from tests.support.servers import Servers, payloads, text

pytestmark = pytest.mark.e2e


QUESTIONS = [  # (what the form asks, in any of the three languages) -> answer key
    (re.compile(r"哈希|hash", re.IGNORECASE), "tx"),
    (re.compile(r"金额|how much|cuánto|cantidad", re.IGNORECASE), "amount"),
    (re.compile(r"什么时候|时间|when|cuándo", re.IGNORECASE), "time"),
    (re.compile(r"地址|address|dirección", re.IGNORECASE), "to"),
    (re.compile(r"哪条链|网络|network|\bred\b", re.IGNORECASE), "chain"),
    (re.compile(r"币种|which token|qué token|qué moneda", re.IGNORECASE), "token"),
]


def transfer(bot: Servers, user: str, opening: str, tx: str, to: str, language: str) -> str:
    """Answer whatever the form asks, in any order; return the turn with the diagnosis."""
    answers = {
        "tx": tx,
        "to": to,
        "amount": "100",
        "time": {"en": "yesterday at 3pm", "zh": "昨天下午三点", "es": "ayer a las 3"}[language],
        "chain": {"en": "TRON", "zh": "波场", "es": "TRON"}[language],
        "token": "USDT",
    }
    reply = text(bot.say(user, opening))
    for _ in range(8):
        last_line = reply.strip().splitlines()[-1] if reply.strip() else ""
        key = next((k for pattern, k in QUESTIONS if pattern.search(last_line)), None)
        if key is None:
            return reply
        reply = text(bot.say(user, answers[key]))
    raise AssertionError(f"the form never finished: {reply}")


def test_confirmed_usdt_on_tron_in_chinese(live_servers: Servers) -> None:
    reply = transfer(live_servers, "chain-zh", "我的USDT在波场上没到账", "b1" * 32, "不知道", "zh")
    assert "已成功" in reply and "20 个确认" in reply and "1000 USDT" in reply
    handoff = payloads(live_servers.say("chain-zh", "是"))
    check = handoff[0].details.chain_check
    assert check and (check["status"], check["confirmations"], check["token"]) == (
        "confirmed",
        20,
        "USDT",
    )
    assert "on-chain: confirmed on tron" in handoff[0].summary


def test_failed_on_tron_in_english(live_servers: Servers) -> None:
    reply = transfer(
        live_servers, "chain-en", "my USDT on TRON hasn't arrived", "b3" * 32, "I don't know", "en"
    )
    assert "failed" in reply and "27 TRX" in reply and "still in your wallet" in reply


def test_pending_in_spanish(live_servers: Servers) -> None:
    reply = transfer(
        live_servers, "chain-es", "mi USDT en TRON no ha llegado", "b2" * 32, "no lo sé", "es"
    )
    assert "pendiente" in reply


def test_confirmed_to_another_address_in_english(live_servers: Servers) -> None:
    reply = transfer(
        live_servers,
        "chain-else",
        "my USDT on Ethereum hasn't arrived",
        "0x" + "a1" * 32,
        "0x" + "44" * 20,
        "en",
    )
    assert "not the address you gave me" in reply and "can't be reversed" in reply


def test_a_failing_node_is_said_and_never_guessed(
    live_servers: Servers, chain_nodes: Nodes
) -> None:
    chain_nodes.mode = {"ethereum": "500"}
    try:
        reply = transfer(
            live_servers, "chain-down", "我的USDT在以太坊上没到账", "0x" + "a2" * 32, "不知道", "zh"
        )
    finally:
        chain_nodes.mode = {}
    assert "查不到链上状态" in reply and "失败" not in reply
    handoff = payloads(live_servers.say("chain-down", "是"))
    assert handoff[0].details.chain_check["status"] == "unavailable"


def test_a_hash_pasted_on_its_own_is_looked_up(live_servers: Servers) -> None:
    reply = text(live_servers.say("chain-paste", "0x" + "a4" * 32, {"language": "en"}))
    assert "confirmed" in reply and "2 ETH" in reply and "6 confirmations" in reply
    reply = text(live_servers.say("chain-paste-zh", f"交易哈希 {'b2' * 32}", {"language": "zh"}))
    assert "等待确认" in reply
