"""TRON over a full node's HTTP API: https://developers.tron.network/reference

``/wallet/gettransactionbyid`` gives the transaction (TRX or a TRC-20 call);
``/wallet/gettransactioninfobyid`` gives block, fee, result and the TRC-20 ``Transfer``
logs once it is in a block.

The result is trusted only in its documented values (java-tron's
``Transaction.Result.contractResult``): ``SUCCESS`` is success, ``REVERT`` …
``INVALID_CODE`` are failures. ``DEFAULT`` and ``UNKNOWN`` say nothing about what
happened, and a missing or unheard-of value even less: those are "couldn't check",
unless the transaction info holds the very ``Transfer`` log the call asked for (a
reverted execution keeps no logs). A node that is behind the transaction's block, or
that answers about another transaction, is not believed either.
"""

from __future__ import annotations

from typing import Any

import base58
import httpx

from bot.chain._calls import TokenMove, decode_call, matching_log, transfer_logs
from bot.chain._http import post_json
from bot.chain._result import NodeError, Status, TxCheck, units

FAILURES = frozenset(
    {
        "REVERT",
        "BAD_JUMP_DESTINATION",
        "OUT_OF_MEMORY",
        "PRECOMPILED_CONTRACT",
        "STACK_TOO_SMALL",
        "STACK_TOO_LARGE",
        "ILLEGAL_OPERATION",
        "STACK_OVERFLOW",
        "OUT_OF_ENERGY",
        "OUT_OF_TIME",
        "JVM_STACK_OVER_FLOW",
        "TRANSFER_FAILED",
        "INVALID_CODE",
    }
)


def tron_address(hex_address: str) -> str:
    """41-prefixed hex, as nodes report it, to the T… base58check form users know."""
    return str(base58.b58encode_check(bytes.fromhex(hex_address)).decode())


def _tron(hex40: str) -> str:
    return tron_address("41" + hex40)


def outcome(contract_ret: Any, receipt_ret: Any, info_result: Any, proven: bool) -> Status:
    """What the node's result fields (and the logs) establish, and no more."""
    if contract_ret in FAILURES or receipt_ret in FAILURES or info_result == "FAILED":
        return "failed"
    if contract_ret == "SUCCESS" and receipt_ret in (None, "SUCCESS"):
        return "confirmed"
    return "confirmed" if proven else "unavailable"


class TronAdapter:
    chain = "tron"

    def __init__(
        self,
        url: str,
        tokens: dict[str, tuple[str, int]],
        *,
        limit: int = 2_000_000,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._tokens = tokens
        self._limit = limit
        self._headers = headers or {}

    async def _post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
        reply = await post_json(
            client,
            f"{self._url}{path}",
            body,
            name="tron",
            limit=self._limit,
            headers=self._headers,
        )
        if not isinstance(reply, dict) or "Error" in reply:
            raise NodeError(f"tron node: bad answer to {path}")
        return reply

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str) -> TxCheck:
        try:
            return await self._lookup(client, tx_hash.removeprefix("0x").lower())
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise NodeError("tron node: bad answer") from exc

    def _move(self, move: TokenMove) -> dict[str, Any]:
        token = _tron(move.token)
        symbol, decimals = self._tokens.get(token, (token, None))
        return {
            "recipient": _tron(move.recipient),
            "token": symbol,
            # An unlisted token's decimals are unknown: no amount rather than a guess.
            "amount": units(move.raw_amount, decimals) if decimals is not None else None,
            **({"sender": _tron(move.sender)} if move.sender else {}),
        }

    async def _lookup(self, client: httpx.AsyncClient, txid: str) -> TxCheck:
        tx = await self._post(client, "/wallet/gettransactionbyid", {"value": txid})
        if not tx:
            return TxCheck("tron", "not_found", txid)
        if str(tx.get("txID", "")).lower() != txid:
            raise NodeError("tron node: answered about another transaction")
        contract = tx["raw_data"]["contract"][0]
        value = contract["parameter"]["value"]
        caller = str(value["owner_address"]).lower()[-40:]
        move: dict[str, Any] = {"sender": _tron(caller)}
        call = None
        if contract["type"] == "TransferContract":
            move |= {"recipient": _tron(str(value["to_address"])[-40:]), "token": "TRX"}
            move["amount"] = units(int(value["amount"]), 6)
        elif contract["type"] == "TriggerSmartContract":
            called = str(value["contract_address"]).lower()[-40:]
            call = decode_call(called, value.get("data", ""))
            if call is not None:
                move |= self._move(call)
        info = await self._post(client, "/wallet/gettransactioninfobyid", {"value": txid})
        if not info or "blockNumber" not in info:
            return TxCheck("tron", "pending", txid, **move)
        if str(info.get("id", "")).lower() != txid:
            raise NodeError("tron node: answered about another transaction")
        now = await self._post(client, "/wallet/getnowblock", {})
        latest = int(now["block_header"]["raw_data"]["number"])
        block = int(info["blockNumber"])
        fee = f"{units(int(info.get('fee', 0)), 6)} TRX"
        if latest < block:
            # The node hasn't reached the block it says holds the transaction: it is
            # mid-sync or confused, and no count of confirmations would be true.
            return TxCheck(
                "tron", "unavailable", txid, block=block, error="the node is behind", **move
            )
        logs = transfer_logs(info.get("log"))
        proof = matching_log(call, caller, logs)
        if proof is not None:
            move |= self._move(proof)
        elif call is None and contract["type"] == "TriggerSmartContract" and logs:
            move |= self._move(logs[0])  # a call we can't decode that moved a token
        status = outcome(
            (tx.get("ret") or [{}])[0].get("contractRet"),
            (info.get("receipt") or {}).get("result"),
            info.get("result"),
            proof is not None,
        )
        return TxCheck(
            "tron",
            status,
            txid,
            block=block,
            confirmations=max(latest - block + 1, 0),
            fee=fee,
            error=None if status != "unavailable" else "the node's result is unreadable",
            **move,
        )
