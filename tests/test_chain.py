"""Chain lookups against local HTTP servers that answer like an EVM JSON-RPC node and a
TRON full node, with responses written by hand from the public API specs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from eth_abi import encode

from bot.chain import ChainLookup, ChainSettings, InvalidHash, tron_address
from tests.e2e_support import LocalServer

USDT_ETH = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
ALICE = "0x" + "11" * 20
BOB = "0x" + "22" * 20
TOKEN_X = "0x" + "33" * 20
TRON_ALICE_HEX = "41" + "a1" * 20
TRON_BOB_HEX = "41" + "b2" * 20
TRON_USDT_HEX = "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"  # TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t


def h(n: int) -> str:
    return f"{n:064x}"


def topic(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


def evm_transfer(tx_hash: str, status: str = "0x1", block: int = 100) -> dict[str, Any]:
    return {
        "eth_getTransactionByHash": {
            "hash": tx_hash,
            "from": ALICE,
            "to": USDT_ETH,
            "value": "0x0",
            "blockNumber": hex(block),
            "gasPrice": hex(30 * 10**9),
        },
        "eth_getTransactionReceipt": {
            "transactionHash": tx_hash,
            "blockNumber": hex(block),
            "status": status,
            "gasUsed": hex(50_000),
            "effectiveGasPrice": hex(30 * 10**9),
            "logs": []
            if status != "0x1"
            else [
                {
                    "address": USDT_ETH.lower(),
                    "topics": [
                        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                        topic(ALICE),
                        topic(BOB),
                    ],
                    "data": "0x" + h(250_500_000),  # 250.5 USDT (6 decimals)
                }
            ],
        },
    }


EVM_TXS: dict[str, dict[str, Any]] = {
    "0x" + "a1" * 32: evm_transfer("0x" + "a1" * 32),
    "0x" + "a2" * 32: evm_transfer("0x" + "a2" * 32, status="0x0"),
    "0x" + "a3" * 32: {
        "eth_getTransactionByHash": {
            "hash": "0x" + "a3" * 32,
            "from": ALICE,
            "to": BOB,
            "value": hex(10**17),
            "blockNumber": None,
        }
    },
    "0x" + "a4" * 32: {
        "eth_getTransactionByHash": {
            "hash": "0x" + "a4" * 32,
            "from": ALICE,
            "to": BOB,
            "value": hex(2 * 10**18),
            "blockNumber": hex(118),
            "gasPrice": hex(10**9),
        },
        "eth_getTransactionReceipt": {
            "blockNumber": hex(118),
            "status": "0x1",
            "gasUsed": hex(21_000),
            "logs": [],
        },
    },
    "0x" + "a5" * 32: {  # a token not in the configuration: read from the contract
        "eth_getTransactionByHash": {
            "hash": "0x" + "a5" * 32,
            "from": ALICE,
            "to": TOKEN_X,
            "value": "0x0",
            "blockNumber": hex(90),
        },
        "eth_getTransactionReceipt": {
            "blockNumber": hex(90),
            "status": "0x1",
            "gasUsed": "0x0",
            "logs": [
                {
                    "address": TOKEN_X,
                    "data": "0x" + h(3 * 10**17),
                    "topics": [
                        "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                        topic(ALICE),
                        topic(BOB),
                    ],
                }
            ],
        },
    },
    "0x" + "a6" * 32: evm_transfer("0x" + "a6" * 32, block=130),  # ahead of the node: reorg
}


def trc20_transfer(
    txid: str, amount: int, result: str, block: int, fee: int
) -> dict[str, dict[str, Any]]:
    """A TRC-20 USDT transfer from Alice to Bob as TRON's HTTP API returns it."""
    data = encode(["address", "uint256"], ["0x" + TRON_BOB_HEX[2:], amount]).hex()
    contract = {
        "type": "TriggerSmartContract",
        "parameter": {
            "value": {
                "owner_address": TRON_ALICE_HEX,
                "contract_address": TRON_USDT_HEX,
                "data": "a9059cbb" + data,
            }
        },
    }
    return {
        "tx": {
            "txID": txid,
            "ret": [{"contractRet": result}],
            "raw_data": {"contract": [contract]},
        },
        "info": {"id": txid, "blockNumber": block, "fee": fee, "receipt": {"result": result}},
    }


TRON_TXS: dict[str, dict[str, Any]] = {
    # TRC-20 USDT, confirmed
    "b1" * 32: trc20_transfer("b1" * 32, 1_000_000_000, "SUCCESS", 5000, 13_844_850),
    "b2" * 32: {  # TRX, pending
        "tx": {
            "txID": "b2" * 32,
            "raw_data": {
                "contract": [
                    {
                        "type": "TransferContract",
                        "parameter": {
                            "value": {
                                "owner_address": TRON_ALICE_HEX,
                                "to_address": TRON_BOB_HEX,
                                "amount": 5_000_000,
                            }
                        },
                    }
                ]
            },
        },
        "info": {},
    },
    # TRC-20 out of energy: the fee is spent, the tokens didn't move
    "b3" * 32: trc20_transfer("b3" * 32, 5, "OUT_OF_ENERGY", 4990, 27_000_000),
}


class Nodes:
    """One HTTP server for all: /evm/<chain> (JSON-RPC) and /tron/wallet/… (TRON)."""

    def __init__(self) -> None:
        self.mode: dict[str, str] = {}  # chain -> "hang", "429", "500", "garbage"
        self.calls: list[str] = []
        nodes = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                chain = self.path.split("/")[2] if self.path.startswith("/evm/") else "tron"
                nodes.calls.append(self.path)
                mode = nodes.mode.get(chain)
                if mode == "hang":
                    time.sleep(3)
                if mode in ("429", "500"):
                    return self._send(int(mode), b"busy")
                if mode == "garbage":
                    return self._send(200, b"<html>oops")
                answer = nodes.evm(chain, body) if chain != "tron" else nodes.tron(self.path, body)
                self._send(200, json.dumps(answer).encode())

            def _send(self, status: int, raw: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = LocalServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def evm(self, chain: str, body: dict[str, Any]) -> dict[str, Any]:
        method, params = body["method"], body["params"]
        if method == "eth_blockNumber":
            result: Any = hex(123)
        elif method == "eth_call":
            data = params[0]["data"]
            result = "0x" + (encode(["string"], ["XTK"]).hex() if data == "0x95d89b41" else h(18))
        else:
            known = EVM_TXS.get(params[0], {}) if chain == "ethereum" else {}
            result = known.get(method)
        return {"jsonrpc": "2.0", "id": body["id"], "result": result}

    def tron(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if path.endswith("getnowblock"):
            return {"block_header": {"raw_data": {"number": 5019}}}
        known = TRON_TXS.get(body["value"], {})
        return dict(known.get("tx" if path.endswith("gettransactionbyid") else "info", {}))

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def nodes() -> Iterator[Nodes]:
    nodes = Nodes()
    yield nodes
    nodes.close()


def lookup(nodes: Nodes, **extra: Any) -> ChainLookup:
    settings = ChainSettings(
        evm_endpoints={"ethereum": f"{nodes.url}/evm/ethereum", "bsc": f"{nodes.url}/evm/bsc"},
        tron_endpoint=f"{nodes.url}/tron",
        call_timeout_seconds=0.5,
        budget_seconds=1.0,
        **extra,
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
    result = run(lookup(nodes), "0x" + "a1" * 32)
    assert result.status == "unavailable" and result.error
    assert time.monotonic() - started < 1.5  # the budget (1 s), not the hang (3 s)


def test_one_hanging_chain_does_not_stop_another_from_answering(nodes: Nodes) -> None:
    nodes.mode = {"bsc": "hang"}
    started = time.monotonic()
    result = run(lookup(nodes), "0x" + "a1" * 32)
    assert result.status == "confirmed" and result.chain == "ethereum"
    assert time.monotonic() - started < 1.5


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
    assert check.candidates("0x" + "ab" * 32) == ["ethereum", "bsc"]
    assert check.candidates("0x" + "ab" * 32, "bsc") == ["bsc", "ethereum"]
    assert check.candidates("ab" * 32) == ["tron"]
    with pytest.raises(InvalidHash, match="64 hexadecimal"):
        check.candidates("0x1234")
    asyncio.run(check.close())
