"""The lookup never guesses (issue 20, defects 1–4, 6, 7 and the API-key header of 8),
against the local nodes of :mod:`tests.fakes.chain` and :mod:`tests.fakes.chain_cases`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.chain import ChainLookup, ChainSettings, TxCheck, tron_address
from tests.fakes import chain_cases as cases
from tests.fakes.chain import ALICE, BOB, TRON_ALICE_HEX, TRON_BOB_HEX, Nodes


@pytest.fixture
def nodes() -> Iterator[Nodes]:
    nodes = Nodes()
    yield nodes
    nodes.close()


def settings(nodes: Nodes, **extra: Any) -> ChainSettings:
    values: dict[str, Any] = {
        "evm_endpoints": {"ethereum": f"{nodes.url}/evm/ethereum", "bsc": f"{nodes.url}/evm/bsc"},
        "tron_endpoint": f"{nodes.url}/tron",
        # No test here is about a slow node; a loaded CI host once took over 0.5 s to
        # connect to these loopback nodes (tests/test_chain.py).
        "call_timeout_seconds": 10.0,
        "budget_seconds": 20.0,
        **extra,
    }
    return ChainSettings(**values)


def look(nodes: Nodes, tx: str, chain: str | None = None, **extra: Any) -> TxCheck:
    check = ChainLookup(settings(nodes, **extra))

    async def go() -> TxCheck:
        try:
            return await check.lookup(tx, chain)
        finally:
            await check.close()

    return asyncio.run(go())


# Defect 1: only the documented status values are a status.


def test_a_receipt_without_status_is_confirmed_by_the_users_transfer_log(nodes: Nodes) -> None:
    result = look(nodes, cases.PRE_BYZANTIUM)
    assert (result.status, result.token, result.amount) == ("confirmed", "USDT", "100")
    assert str(result.recipient).lower() == BOB


def test_a_numeric_status_is_not_read_as_failed(nodes: Nodes) -> None:
    result = look(nodes, cases.STATUS_NUMBER)
    assert (result.status, result.amount) == ("confirmed", "100")


@pytest.mark.parametrize("tx", [cases.STATUS_WORD, cases.LOG_OTHER_AMOUNT])
def test_an_unreadable_status_without_the_transfer_log_is_unchecked(nodes: Nodes, tx: str) -> None:
    result = look(nodes, tx)
    assert result.status == "unavailable" and result.error


def test_documented_evm_failure_still_fails(nodes: Nodes) -> None:
    assert look(nodes, "0x" + "a2" * 32).status == "failed"


@pytest.mark.parametrize("txid", [cases.TRON_DEFAULT, cases.TRON_ODD_RESULT])
def test_tron_results_that_are_not_documented_are_unchecked(nodes: Nodes, txid: str) -> None:
    result = look(nodes, txid)
    assert result.status == "unavailable" and result.error


def test_tron_without_a_result_is_confirmed_by_its_transfer_log(nodes: Nodes) -> None:
    result = look(nodes, cases.TRON_NO_RESULT)
    assert (result.status, result.token, result.amount) == ("confirmed", "USDT", "100")


# Defect 2: a node behind the block, or answering about another transaction.


def test_a_tron_node_behind_the_block_cannot_say_confirmed(nodes: Nodes) -> None:
    result = look(nodes, cases.TRON_AHEAD)
    assert result.status == "unavailable" and result.confirmations is None


def test_a_node_that_could_not_tell_is_asked_again(nodes: Nodes) -> None:
    check = ChainLookup(settings(nodes))

    async def twice() -> None:
        assert (await check.lookup(cases.TRON_AHEAD)).status == "unavailable"
        calls = len(nodes.calls)
        await check.lookup(cases.TRON_AHEAD)
        assert len(nodes.calls) > calls
        await check.close()

    asyncio.run(twice())


@pytest.mark.parametrize("tx", [cases.TRON_OTHER_TX, cases.OTHER_TX_EVM])
def test_an_answer_about_another_transaction_is_not_trusted(nodes: Nodes, tx: str) -> None:
    result = look(nodes, tx)
    assert result.status == "unavailable" and "another transaction" in (result.error or "")


# Defect 3: ERC-20 read from the call.


def test_a_failed_usdt_transfer_is_described_as_usdt(nodes: Nodes) -> None:
    result = look(nodes, cases.FAILED_USDT)
    assert (result.status, result.token, result.amount) == ("failed", "USDT", "100")
    assert str(result.recipient).lower() == BOB and str(result.sender).lower() == ALICE


def test_a_pending_usdt_transfer_names_token_amount_and_recipient(nodes: Nodes) -> None:
    result = look(nodes, cases.PENDING_USDT)
    assert (result.status, result.token, result.amount) == ("pending", "USDT", "100")
    assert str(result.recipient).lower() == BOB


# Defect 4: every configured chain is asked, whatever the user named.


def test_an_evm_hash_is_found_on_ethereum_when_the_user_said_tron(nodes: Nodes) -> None:
    result = look(nodes, "0x" + "a1" * 32, "tron")
    assert (result.chain, result.status) == ("ethereum", "confirmed")
    assert set(result.searched) == {"ethereum", "bsc", "tron"}


def test_a_hash_without_its_0x_is_still_found_on_bnb_chain(nodes: Nodes) -> None:
    result = look(nodes, cases.BSC_USDT[2:], "tron")
    assert (result.chain, result.status, result.amount) == ("bsc", "confirmed", "50")
    assert result.tx_hash == cases.BSC_USDT


def test_not_found_says_which_chains_were_asked(nodes: Nodes) -> None:
    result = look(nodes, "ee" * 32, evm_endpoints={})
    assert result.status == "not_found" and result.searched == ("tron",)


# Defect 6: TRON call data read leniently; transferFrom and logs.


def test_tron_address_padding_with_non_zero_bytes_is_read(nodes: Nodes) -> None:
    result = look(nodes, cases.TRON_DIRTY_PADDING)
    assert (result.status, result.amount) == ("confirmed", "100")
    assert result.recipient == tron_address(TRON_BOB_HEX)


def test_tron_transfer_from_moves_the_named_owners_tokens(nodes: Nodes) -> None:
    result = look(nodes, cases.TRON_TRANSFER_FROM)
    assert (result.status, result.token, result.amount) == ("confirmed", "USDT", "50")
    assert result.sender == tron_address(TRON_ALICE_HEX)
    assert result.recipient == tron_address(TRON_BOB_HEX)


def test_a_tron_call_we_cannot_decode_is_read_from_its_transfer_log(nodes: Nodes) -> None:
    result = look(nodes, cases.TRON_OPAQUE_CALL)
    assert (result.status, result.token, result.amount) == ("confirmed", "USDT", "100")
    assert result.recipient == tron_address(TRON_BOB_HEX)


# Defect 7: a node's answer is capped while it streams, and after decompression.


def test_a_160_mb_answer_is_refused_after_the_cap(nodes: Nodes) -> None:
    nodes.mode = {"ethereum": "huge", "bsc": "huge", "tron": "huge"}
    result = look(nodes, "0x" + "a1" * 32, call_timeout_seconds=30, budget_seconds=60)
    assert result.status == "unavailable" and "too large" in (result.error or "")
    # The client hung up early: far less than the 160 MB was ever sent.
    assert nodes.sent < 40 * 1024 * 1024


def test_a_gzip_bomb_is_refused(nodes: Nodes) -> None:
    nodes.mode = {"ethereum": "bomb", "bsc": "bomb", "tron": "bomb"}
    result = look(nodes, "0x" + "a1" * 32, call_timeout_seconds=30, budget_seconds=60)
    assert result.status == "unavailable" and "too large" in (result.error or "")


def test_a_normal_gzip_answer_is_still_read(nodes: Nodes) -> None:
    from bot.chain._http import ACCEPT_ENCODING

    nodes.mode = {"tron": "gzip", "ethereum": "gzip", "bsc": "gzip"}
    assert look(nodes, "b1" * 32).status == "confirmed"
    assert {k.lower(): v for k, v in nodes.headers[-1][1].items()}["accept-encoding"] == (
        ACCEPT_ENCODING
    )


# Defect 8 (part): API keys in headers, never in logs or reprs.


def test_an_api_key_header_is_sent_and_never_shown(
    nodes: Nodes, caplog: pytest.LogCaptureFixture
) -> None:
    key = "tron-key-5f3a9c"
    extra: dict[str, Any] = {"api_key_headers": {"tron": {"TRON-PRO-API-KEY": key}}}
    caplog.set_level(logging.DEBUG)
    assert look(nodes, "b1" * 32, **extra).status == "confirmed"
    sent = [h for path, h in nodes.headers if path.startswith("/tron")]
    assert sent and all(h.get("TRON-PRO-API-KEY") == key for h in sent)
    nodes.mode = {"tron": "500"}
    failed = look(nodes, "b1" * 32, **extra)
    assert failed.status == "unavailable"
    assert key not in repr(settings(nodes, **extra)) and key not in str(failed.as_dict())
    assert key not in caplog.text


def test_the_log_mask_knows_every_api_key_header() -> None:
    from common.logs import configured_secrets

    value = '{"tron": {"TRON-PRO-API-KEY": "k-tron-1"}, "bsc": {"x-api-key": "k-bsc-2"}}'
    found = configured_secrets({"CHAIN_API_KEY_HEADERS": value})
    assert "k-tron-1" in found and "k-bsc-2" in found
