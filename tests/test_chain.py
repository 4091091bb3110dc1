"""Chain lookups against the local EVM JSON-RPC and TRON nodes of :mod:`tests.fakes.chain`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.chain import ChainLookup, ChainSettings, InvalidHash, tron_address
from tests.fakes.chain import ALICE, BOB, TRON_BOB_HEX, TRON_USDT_HEX, Nodes


@pytest.fixture
def nodes() -> Iterator[Nodes]:
    nodes = Nodes()
    yield nodes
    nodes.close()


# Generous by default: a CI machine under load once took over 0.5 s to connect to
# these loopback nodes, and a test about reading a transfer must not fail on that.
# The tests about slow nodes set their own short limits.
SHORT = {"call_timeout_seconds": 0.5, "budget_seconds": 1.0}


def lookup(nodes: Nodes, **extra: Any) -> ChainLookup:
    limits: dict[str, Any] = {"call_timeout_seconds": 10.0, "budget_seconds": 20.0} | extra
    settings = ChainSettings(
        evm_endpoints={"ethereum": f"{nodes.url}/evm/ethereum", "bsc": f"{nodes.url}/evm/bsc"},
        tron_endpoint=f"{nodes.url}/tron",
        **limits,
    )
    return ChainLookup(settings)


def run(check: ChainLookup, tx: str, chain: str | None = None) -> Any:
    async def go() -> Any:
        try:
            return await check.lookup(tx, chain)
        finally:
            await check.close()

    return asyncio.run(go())


def test_an_erc20_transfer_with_its_confirmations(nodes: Nodes) -> None:
    result = run(lookup(nodes), "0x" + "a1" * 32)
    assert (result.chain, result.status, result.block, result.confirmations) == (
        "ethereum",
        "confirmed",
        100,
        24,
    )
    assert (result.token, result.amount) == ("USDT", "250.5")
    assert result.sender.lower() == ALICE and result.recipient.lower() == BOB
    assert result.fee == "0.0015 ETH"


def test_failed_pending_native_and_unknown_token(nodes: Nodes) -> None:
    assert run(lookup(nodes), "0x" + "a2" * 32).status == "failed"
    pending = run(lookup(nodes), "0x" + "a3" * 32)
    assert (pending.status, pending.amount, pending.token) == ("pending", "0.1", "ETH")
    native = run(lookup(nodes), "0x" + "a4" * 32)
    assert (native.status, native.amount, native.confirmations) == ("confirmed", "2", 6)
    other = run(lookup(nodes), "0x" + "a5" * 32)
    assert (other.token, other.amount) == ("XTK", "0.3")


def test_a_block_ahead_of_the_node_is_not_final(nodes: Nodes) -> None:
    result = run(lookup(nodes), "0x" + "a6" * 32)
    assert result.status == "pending" and result.confirmations == 0


def test_tron_transfers(nodes: Nodes) -> None:
    usdt = run(lookup(nodes), "b1" * 32)
    assert (usdt.chain, usdt.status, usdt.confirmations) == ("tron", "confirmed", 20)
    assert (usdt.token, usdt.amount) == ("USDT", "1000")
    assert usdt.recipient == tron_address(TRON_BOB_HEX) and usdt.recipient.startswith("T")
    assert usdt.fee == "13.84485 TRX"
    trx = run(lookup(nodes), "b2" * 32)
    assert (trx.status, trx.token, trx.amount) == ("pending", "TRX", "5")
    failed = run(lookup(nodes), "b3" * 32)
    assert failed.status == "failed" and failed.fee == "27 TRX"
    assert tron_address(TRON_USDT_HEX) == "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"


def test_not_found_anywhere(nodes: Nodes) -> None:
    assert run(lookup(nodes), "0x" + "ee" * 32).status == "not_found"
    assert run(lookup(nodes), "ee" * 32).status == "not_found"


@pytest.mark.parametrize("mode", ["hang", "429", "500", "garbage"])
def test_a_failing_node_is_unavailable_never_a_guess(nodes: Nodes, mode: str) -> None:
    nodes.mode = {"ethereum": mode, "bsc": mode}
    started = time.monotonic()
    result = run(lookup(nodes, **SHORT), "0x" + "a1" * 32)
    assert result.status == "unavailable" and result.error
    assert time.monotonic() - started < 1.5  # the budget (1 s), not the hang (3 s)


def test_one_hanging_chain_does_not_stop_another_from_answering(nodes: Nodes) -> None:
    nodes.mode = {"bsc": "hang"}
    started = time.monotonic()
    result = run(lookup(nodes), "0x" + "a1" * 32)
    assert result.status == "confirmed" and result.chain == "ethereum"
    assert time.monotonic() - started < 3  # the hang lasts 3 s; the limits are longer still


def test_results_are_cached_briefly(nodes: Nodes) -> None:
    check = lookup(nodes)

    async def twice() -> None:
        await check.lookup("b1" * 32)
        calls = len(nodes.calls)
        await check.lookup("b1" * 32)
        assert len(nodes.calls) == calls
        await check.close()

    asyncio.run(twice())


def test_the_hash_format_picks_the_chains(nodes: Nodes) -> None:
    check = lookup(nodes)
    # Every configured chain (issue 20: users name the wrong one): the named one first,
    # then those whose hashes look like this one.
    assert check.candidates("0x" + "ab" * 32) == ["ethereum", "bsc", "tron"]
    assert check.candidates("0x" + "ab" * 32, "bsc") == ["bsc", "ethereum", "tron"]
    assert check.candidates("ab" * 32) == ["tron", "ethereum", "bsc"]
    with pytest.raises(InvalidHash, match="64 hexadecimal"):
        check.candidates("0x1234")
    asyncio.run(check.close())
