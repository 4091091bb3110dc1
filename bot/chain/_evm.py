"""EVM chains over JSON-RPC: https://ethereum.org/en/developers/docs/apis/json-rpc/

A token transfer is read from the receipt's ERC-20 ``Transfer`` log; token symbol and
decimals come from configuration, else from the contract (``symbol()``, ``decimals()``).
"""

from __future__ import annotations

from typing import Any

import httpx
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address

from bot.chain._result import UNREACHABLE, NodeError, Status, TxCheck, units

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
SYMBOL = "0x" + function_signature_to_4byte_selector("symbol()").hex()
DECIMALS = "0x" + function_signature_to_4byte_selector("decimals()").hex()


class EvmAdapter:
    def __init__(
        self, chain: str, url: str, native: str, tokens: dict[str, tuple[str, int]]
    ) -> None:
        self.chain = chain
        self._url = url
        self._native = native
        self._tokens = {address.lower(): meta for address, meta in tokens.items()}

    async def _call(self, client: httpx.AsyncClient, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        try:
            response = await client.post(self._url, json=body)
            response.raise_for_status()
            reply = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NodeError(f"{self.chain}: {UNREACHABLE}") from exc
        if not isinstance(reply, dict) or "error" in reply or "result" not in reply:
            raise NodeError(f"{self.chain} node: bad answer to {method}")
        return reply["result"]

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str) -> TxCheck:
        tx = await self._call(client, "eth_getTransactionByHash", [tx_hash])
        if tx is None:
            return TxCheck(self.chain, "not_found", tx_hash)
        sender, recipient = tx.get("from"), tx.get("to")
        amount, token = units(int(tx.get("value") or "0x0", 16), 18), self._native
        if tx.get("blockNumber") is None:
            return TxCheck(
                self.chain,
                "pending",
                tx_hash,
                sender=sender,
                recipient=recipient,
                token=token,
                amount=amount,
            )
        receipt = await self._call(client, "eth_getTransactionReceipt", [tx_hash])
        if receipt is None:  # mined but the node's index lags: still pending to us
            return TxCheck(self.chain, "pending", tx_hash, sender=sender, recipient=recipient)
        latest = int(await self._call(client, "eth_blockNumber", []), 16)
        block = int(receipt["blockNumber"], 16)
        if latest < block:
            # This node is behind the one that mined it, or the block was reorganised
            # away: report it as not final rather than invent confirmations.
            return TxCheck(
                self.chain,
                "pending",
                tx_hash,
                block=block,
                confirmations=0,
                sender=sender,
                recipient=recipient,
                error="block not yet final",
            )
        price = int(receipt.get("effectiveGasPrice") or tx.get("gasPrice") or "0x0", 16)
        fee = units(int(receipt.get("gasUsed") or "0x0", 16) * price, 18)
        for log in receipt.get("logs") or []:
            topics = log.get("topics") or []
            if len(topics) == 3 and topics[0].lower() == TRANSFER_TOPIC:
                symbol, decimals = await self._token(client, log["address"])
                sender = to_checksum_address("0x" + topics[1][-40:])
                recipient = to_checksum_address("0x" + topics[2][-40:])
                amount, token = units(int(log["data"], 16), decimals), symbol
                break
        status: Status = "confirmed" if receipt.get("status") == "0x1" else "failed"
        return TxCheck(
            self.chain,
            status,
            tx_hash,
            block=block,
            confirmations=max(latest - block + 1, 0),
            sender=sender,
            recipient=recipient,
            token=token,
            amount=amount,
            fee=f"{fee} {self._native}",
        )

    async def _token(self, client: httpx.AsyncClient, address: str) -> tuple[str, int]:
        known = self._tokens.get(address.lower())
        if known:
            return known
        symbol_raw = await self._call(
            client, "eth_call", [{"to": address, "data": SYMBOL}, "latest"]
        )
        decimals_raw = await self._call(
            client, "eth_call", [{"to": address, "data": DECIMALS}, "latest"]
        )
        try:
            (symbol,) = decode(["string"], bytes.fromhex(symbol_raw[2:]))
            decimals = int(decimals_raw, 16)
        except Exception as exc:  # a token with a non-standard ABI
            raise NodeError(f"{self.chain}: unreadable token {address}") from exc
        self._tokens[address.lower()] = (str(symbol), decimals)
        return str(symbol), decimals
