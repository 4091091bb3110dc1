"""An EVM JSON-RPC node and a TRON full node, with transactions written by hand from
the public API specs. One HTTP server plays both: ``/evm/<chain>`` and ``/tron/wallet/…``.

``Nodes.mode`` makes a chain's node misbehave: ``hang`` (3 s), ``429``, ``500``,
``garbage``, ``huge`` (a 160 MB JSON array, streamed), ``bomb`` (a gzip bomb: 64 KB
that inflate to 64 MB, 32 times the lookup's cap) or ``gzip`` (normal answers, gzipped). The transactions of the lookup's defects (issue 20) are in
:mod:`tests.fakes.chain_cases`.
"""

from __future__ import annotations

import functools
import json
import time
import zlib
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from eth_abi import encode

from tests.fakes.server import serve

if TYPE_CHECKING:
    import pytest

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


HUGE_BYTES = 160 * 1024 * 1024


@functools.cache
def gzip_bomb(inflated: int = 64 * 1024 * 1024) -> bytes:
    """A JSON-RPC answer padded with spaces: ~1/1000 of *inflated* on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    spaces = b" " * (1024 * 1024)
    parts = [packer.compress(b'{"jsonrpc": "2.0", "id": 1, "result": null')]
    parts += [packer.compress(spaces) for _ in range(inflated // len(spaces))]
    return b"".join([*parts, packer.compress(b"}"), packer.flush()])


class Nodes:
    """One HTTP server for all: /evm/<chain> (JSON-RPC) and /tron/wallet/… (TRON)."""

    def __init__(self) -> None:
        self.mode: dict[str, str] = {}  # chain -> "hang", "429", "500", "garbage", ...
        # JSON-RPC methods or URL path endings that hang (3 s) whatever the chain's mode:
        # a node that answers some calls and times out on others ("half way").
        self.hang_on: set[str] = set()
        self.calls: list[str] = []
        self.bodies: list[str] = []  # what each POST asked, as sent
        self.headers: list[tuple[str, dict[str, str]]] = []  # (path, headers) per request
        self.sent = 0  # bytes of the last huge body that reached the client's socket
        nodes = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                nodes.bodies.append(raw.decode())
                body = json.loads(raw or b"{}")
                chain = self.path.split("/")[2] if self.path.startswith("/evm/") else "tron"
                nodes.calls.append(self.path)
                nodes.headers.append((self.path, dict(self.headers.items())))
                mode = nodes.mode.get(chain)
                hangs = body.get("method") in nodes.hang_on
                if hangs or self.path.split("/")[-1] in nodes.hang_on:
                    time.sleep(3)
                if mode == "huge":
                    return self._huge()
                if mode == "bomb":
                    return self._send(200, gzip_bomb(), {"Content-Encoding": "gzip"})
                if mode == "hang":
                    time.sleep(3)  # a node that hangs: longer than any lookup's budget
                if mode in ("429", "500"):
                    return self._send(int(mode), b"busy")
                if mode == "garbage":
                    return self._send(200, b"<html>oops")
                answer = nodes.evm(chain, body) if chain != "tron" else nodes.tron(self.path, body)
                if mode == "gzip":  # what providers behind a CDN send
                    packed = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                    raw = packed.compress(json.dumps(answer).encode()) + packed.flush()
                    return self._send(200, raw, {"Content-Encoding": "gzip"})
                self._send(200, json.dumps(answer).encode())

            def do_GET(self) -> None:  # the TRON indexer: /tron-index/v1/accounts/…
                from tests.fakes.chain_forensic import index_answer

                nodes.calls.append(self.path)
                mode = nodes.mode.get("tron-index")
                if mode == "hang" or any(name in self.path for name in nodes.hang_on):
                    time.sleep(3)
                if mode == "huge":
                    return self._huge()
                if mode in ("429", "500"):
                    return self._send(int(mode), b"busy")
                if mode == "garbage":
                    return self._send(200, b"<html>oops")
                self._send(200, json.dumps(index_answer(self.path)).encode())

            def _send(self, status: int, raw: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(raw)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def _huge(self) -> None:
                """160 MB of JSON array, no length given: only reading it all tells."""
                self.send_response(200)
                self.end_headers()
                chunk = b"0," * (512 * 1024)
                nodes.sent = 0
                try:
                    self.wfile.write(b"[")
                    for _ in range(HUGE_BYTES // len(chunk)):
                        self.wfile.write(chunk)
                        nodes.sent += len(chunk)
                    self.wfile.write(b"0]")
                except OSError:  # the client hung up: what we wanted to see
                    self.close_connection = True

        self.server, self.url = serve(Handler)

    def evm(self, chain: str, body: dict[str, Any]) -> dict[str, Any]:
        from tests.fakes.chain_cases import EVM_BY_CHAIN
        from tests.fakes.chain_forensic import evm_answer

        method, params = body["method"], body["params"]
        forensic = evm_answer(method, params)
        if forensic is not ...:
            return {"jsonrpc": "2.0", "id": body["id"], "result": forensic}
        if method == "eth_blockNumber":
            result: Any = hex(123)
        elif method == "eth_call":
            data = params[0]["data"]
            result = "0x" + (encode(["string"], ["XTK"]).hex() if data == "0x95d89b41" else h(18))
        else:
            known = EVM_BY_CHAIN.get(chain, {}).get(params[0], {})
            result = known.get(method)
        return {"jsonrpc": "2.0", "id": body["id"], "result": result}

    def tron(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        from tests.fakes.chain_cases import TRON_CASES
        from tests.fakes.chain_forensic import tron_answer

        forensic = tron_answer(path, body)
        if forensic is not ...:
            return dict(forensic)
        if path.endswith("getnowblock"):
            return {"block_header": {"raw_data": {"number": 5019}}}
        known = TRON_TXS.get(body["value"]) or TRON_CASES.get(body["value"], {})
        return dict(known.get("tx" if path.endswith("gettransactionbyid") else "info", {}))

    def configure(
        self,
        monkeypatch: pytest.MonkeyPatch,
        evm: Iterable[str] = ("ethereum",),
        indexer: bool = True,
        **chain_env: str,
    ) -> None:
        """Point the actions' chain settings (the ``CHAIN_*`` environment) at these
        nodes: the *evm* chains, TRON, its indexer; *chain_env* sets more of them
        (``CALL_TIMEOUT_SECONDS="1"`` is ``CHAIN_CALL_TIMEOUT_SECONDS``)."""
        endpoints = {chain: f"{self.url}/evm/{chain}" for chain in evm}
        monkeypatch.setenv("CHAIN_EVM_ENDPOINTS", json.dumps(endpoints))
        monkeypatch.setenv("CHAIN_TRON_ENDPOINT", f"{self.url}/tron")
        if indexer:
            monkeypatch.setenv("CHAIN_TRON_INDEXER_ENDPOINT", f"{self.url}/tron-index")
        for name, value in chain_env.items():
            monkeypatch.setenv(f"CHAIN_{name}", value)

    def close(self) -> None:
        self.server.shutdown()
