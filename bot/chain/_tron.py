"""TRON over a full node's HTTP API: https://developers.tron.network/reference

``/wallet/gettransactionbyid`` gives the transaction (TRX or a TRC-20 call);
``/wallet/gettransactioninfobyid`` gives block, fee and result once it is in a block.
"""

from __future__ import annotations

from typing import Any

import base58
import httpx
from eth_abi import decode

from bot.chain._result import UNREACHABLE, NodeError, TxCheck, units

TRC20_TRANSFER = "a9059cbb"  # transfer(address,uint256)


def tron_address(hex_address: str) -> str:
    """41-prefixed hex, as nodes report it, to the T… base58check form users know."""
    return str(base58.b58encode_check(bytes.fromhex(hex_address)).decode())


class TronAdapter:
    chain = "tron"

    def __init__(self, url: str, tokens: dict[str, tuple[str, int]]) -> None:
        self._url = url.rstrip("/")
        self._tokens = tokens

    async def _post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> Any:
        try:
            response = await client.post(f"{self._url}{path}", json=body)
            response.raise_for_status()
            reply = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NodeError(f"tron: {UNREACHABLE}") from exc
        if not isinstance(reply, dict) or "Error" in reply:
            raise NodeError(f"tron node: bad answer to {path}")
        return reply

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str) -> TxCheck:
        txid = tx_hash.removeprefix("0x").lower()
        tx = await self._post(client, "/wallet/gettransactionbyid", {"value": txid})
        if not tx:
            return TxCheck("tron", "not_found", txid)
        contract = tx["raw_data"]["contract"][0]
        value = contract["parameter"]["value"]
        sender = tron_address(value["owner_address"])
        recipient, token, amount = None, "TRX", None
        if contract["type"] == "TransferContract":
            recipient, amount = tron_address(value["to_address"]), units(value["amount"], 6)
        elif contract["type"] == "TriggerSmartContract":
            data = value.get("data", "")
            token_address = tron_address(value["contract_address"])
            if data.startswith(TRC20_TRANSFER):
                to, raw = decode(["address", "uint256"], bytes.fromhex(data[8:]))
                recipient = tron_address("41" + to[2:])
                symbol, decimals = self._tokens.get(token_address, (token_address, 6))
                token, amount = symbol, units(raw, decimals)
        info = await self._post(client, "/wallet/gettransactioninfobyid", {"value": txid})
        if not info or "blockNumber" not in info:
            return TxCheck(
                "tron",
                "pending",
                txid,
                sender=sender,
                recipient=recipient,
                token=token,
                amount=amount,
            )
        now = await self._post(client, "/wallet/getnowblock", {})
        latest = int(now["block_header"]["raw_data"]["number"])
        block = int(info["blockNumber"])
        result = (tx.get("ret") or [{}])[0].get("contractRet", "SUCCESS")
        receipt_result = (info.get("receipt") or {}).get("result", "SUCCESS")
        ok = result == "SUCCESS" and receipt_result == "SUCCESS"
        return TxCheck(
            "tron",
            "confirmed" if ok else "failed",
            txid,
            block=block,
            confirmations=max(latest - block + 1, 0),
            sender=sender,
            recipient=recipient,
            token=token,
            amount=amount,
            fee=f"{units(int(info.get('fee', 0)), 6)} TRX",
        )
