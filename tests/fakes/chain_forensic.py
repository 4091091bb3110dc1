"""Accounts for the stolen-funds check (issue 20, "Then"), as the nodes of
:mod:`tests.fakes.chain` serve them: ``eth_getLogs`` / ``allowance()`` /
``eth_getBlockByNumber`` on EVM, ``/wallet/getaccount`` and
``/wallet/triggerconstantcontract`` on TRON, and a TronGrid-style indexer
(``GET /tron-index/v1/accounts/…``). Shapes follow the public API docs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import base58

from tests.fakes.chain import TRON_USDT_HEX, USDT_ETH, h

APPROVAL = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
USDC_ETH = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
MAX = 2**256 - 1

# Ethereum accounts (lower-case hex).
DRAINED = "0x" + "55" * 20  # unlimited USDT to an unknown spender, 50 USDC to the router
DRAINER = "0x" + "66" * 20
ROUTER = "0x" + "77" * 20  # on the allowlist of the tests
REVOKED = "0x" + "88" * 20  # approved once, allowance now 0
THIEF = "0x" + "99" * 20
POISONED = "0x" + "aa" * 20  # paid a friend, then got a zero transfer from a look-alike
FRIEND = "0x1234" + "00" * 16 + "5678"
LOOKALIKE = "0x1234" + "ee" * 16 + "5678"
CLEAN = "0x" + "cc" * 20
# Dust from the look-alike, then a payment to it; the friend's payment is older than
# the window: only the address the user names tells what the look-alike imitates.
LATE = "0x" + "ab" * 20
LIMITED = "0x" + "bc" * 20  # only a limited approval (100 USDT) to an unknown app
UNKNOWN_APP = "0x" + "9a" * 20
WRONG_TYPES = "0x" + "dd" * 20  # the node answers eth_getLogs with nonsense

# TRON accounts (base58).


def tron(byte: str) -> str:
    return base58.b58encode_check(bytes.fromhex("41" + byte * 20)).decode()


TRON_HIJACKED = tron("d1")  # owner and active now hold only the attacker's key
TRON_ATTACKER = tron("d2")
TRON_ACTIVE_ONLY = tron("d3")  # a second key (weight 2, threshold 2) in active only
TRON_CLEAN = tron("d4")
TRON_POISONED = tron("d5")  # via the indexer: a payment, dust from a look-alike
TRON_FRIEND = "TJPZp3h26cfFoz7mzyxNofcNR7GGenKf8V"  # 41 + 5c*20
TRON_LOOKALIKE = "TJPZpC3JcyEp16QsQ1gzknZDSDNyMCKf8V"  # a vanity address made for the test
TRON_SPENDER = tron("d6")
TRON_HOSTILE = tron("d7")  # permissions of the wrong type
TRON_LOCKED = tron("d8")  # only its own key, but the owner threshold raised to 2
TRON_USDT = base58.b58encode_check(bytes.fromhex(TRON_USDT_HEX)).decode()
UPDATE_TX = "f1" * 32
UPDATE_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z


def word(address: str) -> str:
    return "0x" + "0" * 24 + address[2:].lower()


def log(topic0: str, token: str, src: str, dst: str, value: int, tx: str, block: int) -> Any:
    return {
        "address": token.lower(),
        "topics": [topic0, word(src), word(dst)],
        "data": "0x" + h(value),
        "transactionHash": "0x" + tx * 32,
        "blockNumber": hex(block),
    }


EVM_LOGS: list[dict[str, Any]] = [
    log(APPROVAL, USDT_ETH, DRAINED, DRAINER, MAX, "f2", 110),
    log(APPROVAL, USDC_ETH, DRAINED, ROUTER, 50 * 10**6, "f3", 111),
    log(APPROVAL, USDT_ETH, DRAINED, REVOKED, 10**6, "f4", 100),
    log(TRANSFER, USDT_ETH, DRAINED, THIEF, 500 * 10**6, "f5", 115),
    log(TRANSFER, USDT_ETH, POISONED, FRIEND, 1000 * 10**6, "f6", 101),
    log(TRANSFER, USDT_ETH, LOOKALIKE, POISONED, 0, "f7", 105),
    log(TRANSFER, USDT_ETH, POISONED, LOOKALIKE, 200 * 10**6, "f8", 112),
    log(TRANSFER, USDT_ETH, CLEAN, FRIEND, 20 * 10**6, "f9", 108),
    log(TRANSFER, USDT_ETH, LOOKALIKE, LATE, 0, "fb", 114),
    log(TRANSFER, USDT_ETH, LATE, LOOKALIKE, 300 * 10**6, "fa", 117),
    log(APPROVAL, USDT_ETH, LIMITED, UNKNOWN_APP, 100 * 10**6, "fc", 119),
]
ALLOWANCES = {
    (USDT_ETH.lower(), DRAINER): MAX,
    (USDC_ETH.lower(), ROUTER): 50 * 10**6,
    (USDT_ETH.lower(), UNKNOWN_APP): 100 * 10**6,
}


def evm_answer(method: str, params: list[Any]) -> Any:
    """The forensic methods' results, or ``...`` for a method this module doesn't play."""
    if method == "eth_getLogs":
        query = params[0]
        topics = query["topics"]
        if WRONG_TYPES[2:] in str(topics):
            return {"logs": "many"}
        tokens = {a.lower() for a in query.get("address") or []}
        return [
            item
            for item in EVM_LOGS
            if item["address"] in tokens
            and all(t is None or t == item["topics"][i] for i, t in enumerate(topics))
            and int(query["fromBlock"], 16) <= int(item["blockNumber"], 16)
        ]
    if method == "eth_call" and params[0]["data"].startswith("0xdd62ed3e"):
        data = params[0]["data"]
        spender = "0x" + data[-40:]
        return "0x" + h(ALLOWANCES.get((params[0]["to"].lower(), spender), 0))
    if method == "eth_getBlockByNumber":
        block = int(params[0], 16)
        return {"number": params[0], "timestamp": hex(1_764_000_000 + block * 12)}
    return ...


def _key(address: str, weight: int = 1) -> dict[str, Any]:
    return {"address": address, "weight": weight}


def _active(keys: list[dict[str, Any]], threshold: int = 1) -> dict[str, Any]:
    return {
        "type": "Active",
        "id": 2,
        "permission_name": "active",
        "threshold": threshold,
        "operations": "7fff1fc0033e0000000000000000000000000000000000000000000000000000",
        "keys": keys,
    }


def _account(address: str, owner: list[Any], active: list[Any], threshold: int = 1) -> Any:
    return {
        "address": address,
        "balance": 12_000_000,
        "owner_permission": {"permission_name": "owner", "threshold": 1, "keys": owner},
        "active_permission": [_active(active, threshold)],
    }


ACCOUNTS: dict[str, dict[str, Any]] = {
    TRON_HIJACKED: _account(TRON_HIJACKED, [_key(TRON_ATTACKER)], [_key(TRON_ATTACKER)]),
    TRON_ACTIVE_ONLY: _account(
        TRON_ACTIVE_ONLY,
        [_key(TRON_ACTIVE_ONLY)],
        [_key(TRON_ACTIVE_ONLY), _key(TRON_ATTACKER, 2)],
        threshold=2,
    ),
    TRON_CLEAN: _account(TRON_CLEAN, [_key(TRON_CLEAN)], [_key(TRON_CLEAN)]),
    TRON_POISONED: _account(TRON_POISONED, [_key(TRON_POISONED)], [_key(TRON_POISONED)]),
    TRON_HOSTILE: {"owner_permission": "root", "active_permission": {"keys": 5}},
    TRON_LOCKED: {
        **_account(TRON_LOCKED, [_key(TRON_LOCKED)], [_key(TRON_LOCKED)]),
        "owner_permission": {
            "permission_name": "owner",
            "threshold": 2,
            "keys": [_key(TRON_LOCKED)],
        },
    },
}


def tron_answer(path: str, body: dict[str, Any]) -> Any:
    if path.endswith("/wallet/getaccount"):
        return ACCOUNTS.get(body["address"], {})
    if path.endswith("/wallet/triggerconstantcontract"):
        spender = body["parameter"][-40:]
        unlimited = spender == base58.b58decode_check(TRON_SPENDER)[1:].hex()
        return {"result": {"result": True}, "constant_result": [h(MAX if unlimited else 0)]}
    return ...


def _event(kind: str, src: str, dst: str, value: int, tx: str, at: int) -> dict[str, Any]:
    return {
        "transaction_id": tx * 32,
        "token_info": {"symbol": "USDT", "address": TRON_USDT, "decimals": 6, "name": "Tether"},
        "block_timestamp": UPDATE_MS + at * 60_000,
        "from": src,
        "to": dst,
        "type": kind,
        "value": str(value),
    }


def index_answer(url: str) -> Any:
    """The indexer's GET answers: an address's TRC-20 events, or its own transactions."""
    parts = urlsplit(url).path.split("/")
    address = parts[4]
    if parts[-1] == "trc20":
        if address == TRON_HOSTILE:  # free text where an address goes, a wrong type
            junk = _event("Transfer", TRON_HOSTILE, "Tvisit evil-refund.com for help", 5, "a6", 1)
            return {"data": [junk, {"token_info": 7}], "success": True}
        if address != TRON_POISONED:
            return {"data": [], "success": True, "meta": {"page_size": 0}}
        events = [
            _event("Transfer", TRON_POISONED, TRON_FRIEND, 1000 * 10**6, "a7", 1),
            _event("Transfer", TRON_LOOKALIKE, TRON_POISONED, 1, "a8", 5),
            _event("Approval", TRON_POISONED, TRON_SPENDER, MAX, "a9", 7),
        ]
        return {"data": events, "success": True, "meta": {"page_size": len(events)}}
    if address == TRON_HIJACKED:
        update = {
            "txID": UPDATE_TX,
            "block_timestamp": UPDATE_MS,
            "raw_data": {"contract": [{"type": "AccountPermissionUpdateContract"}]},
            "ret": [{"contractRet": "SUCCESS"}],
        }
        return {"data": [update], "success": True}
    return {"data": [], "success": True}
