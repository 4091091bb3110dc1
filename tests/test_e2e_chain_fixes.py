"""The lookup's wrong answers of issue 20, end to end through Rasa and the action server,
in zh, en and es, against the local nodes (Ethereum and TRON, tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.fakes import chain_cases as cases
from tests.support.servers import Servers, payloads, text
from tests.test_e2e_chain import transfer

pytestmark = pytest.mark.e2e


def test_an_ethereum_hash_given_in_a_tron_form_is_found_there(live_servers: Servers) -> None:
    reply = transfer(
        live_servers,
        "fix-other-net",
        "my USDT on TRON hasn't arrived",
        "0x" + "a1" * 32,
        "I don't know",
        "en",
    )
    assert "on Ethereum" in reply and "not TRON" in reply and "confirmed" in reply
    assert f"https://etherscan.io/tx/{'0x' + 'a1' * 32}" in reply


def test_a_failed_usdt_transfer_is_told_as_usdt_in_chinese(live_servers: Servers) -> None:
    reply = transfer(
        live_servers, "fix-failed-zh", "我的USDT在以太坊上没到账", cases.FAILED_USDT, "不知道", "zh"
    )
    assert "失败" in reply and "USDT 没有转出" in reply and "ETH 没有转出" not in reply


def test_a_receipt_without_status_is_not_called_failed(live_servers: Servers) -> None:
    reply = transfer(
        live_servers, "fix-root", "my USDT on Ethereum hasn't arrived", cases.PRE_BYZANTIUM,
        "I don't know", "en",
    )  # fmt: skip
    assert "confirmed" in reply and "100 USDT" in reply and "failed" not in reply


def test_not_found_then_the_network_named_is_checked_again_in_spanish(
    live_servers: Servers,
) -> None:
    reply = transfer(
        live_servers,
        "fix-notfound-es",
        "mi USDT en TRON no ha llegado",
        "ee" * 32,
        "no lo sé",
        "es",
    )
    assert "No encuentro este hash en" in reply and "ninguna de las redes" not in reply
    reply = text(live_servers.say("fix-notfound-es", "en Ethereum, lo vi en el historial"))
    assert "He vuelto a buscar en Ethereum" in reply
    handoff = payloads(live_servers.say("fix-notfound-es", "sí"))
    assert handoff and (handoff[0].details.chain_check or {}).get("seen_in") == "history"


def test_the_handoff_summary_flags_the_address_mismatch(live_servers: Servers) -> None:
    transfer(
        live_servers,
        "fix-mismatch",
        "my USDT on Ethereum hasn't arrived",
        "0x" + "a1" * 32,
        "0x" + "44" * 20,
        "en",
    )
    handoff = payloads(live_servers.say("fix-mismatch", "yes"))
    assert "ADDRESS MISMATCH" in handoff[0].summary
