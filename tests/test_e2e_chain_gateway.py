"""The lookup's fixed answers of issue 20 end to end THROUGH THE GATEWAY's web chat, in
zh, en and es (tests/test_e2e_chain_fixes.py has the same cases through Rasa's REST
channel, with the handoff payloads): what a user of the web chat reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes import chain_cases as cases
from tests.support.servers import Servers, WebChat, text
from tests.test_e2e_chain import transfer

pytestmark = pytest.mark.e2e


def test_an_ethereum_hash_in_a_tron_form_in_english(live_servers: Servers) -> None:
    chat: Any = WebChat(live_servers, "en")
    reply = transfer(
        chat,
        "gw-other-net",
        "my USDT on TRON hasn't arrived",
        "0x" + "a1" * 32,
        "I don't know",
        "en",
    )
    assert "on Ethereum" in reply and "not TRON" in reply and "confirmed" in reply
    assert f"https://etherscan.io/tx/{'0x' + 'a1' * 32}" in reply


def test_a_failed_usdt_transfer_in_chinese(live_servers: Servers) -> None:
    chat: Any = WebChat(live_servers, "zh")
    reply = transfer(
        chat, "gw-failed-zh", "我的USDT在以太坊上没到账", cases.FAILED_USDT, "不知道", "zh"
    )
    assert "失败" in reply and "USDT 没有转出" in reply and "ETH 没有转出" not in reply


def test_not_found_then_the_network_named_in_spanish(live_servers: Servers) -> None:
    chat: Any = WebChat(live_servers, "es")
    reply = transfer(
        chat, "gw-notfound-es", "mi USDT en TRON no ha llegado", "ee" * 32, "no lo sé", "es"
    )
    assert "No encuentro este hash en" in reply and "ninguna de las redes" not in reply
    reply = text(chat.say("gw-notfound-es", "en Ethereum, lo vi en el historial"))
    assert "He vuelto a buscar en Ethereum" in reply
