"""EVM chains over JSON-RPC: https://ethereum.org/en/developers/docs/apis/json-rpc/

A token transfer is read from the call (``transfer`` / ``transferFrom`` input) and from
the receipt's ERC-20 ``Transfer`` logs; token symbol and decimals come from
configuration, else from the contract (``symbol()``, ``decimals()``).

The receipt's ``status`` is trusted only in its documented values: ``"0x1"`` success,
``"0x0"`` failure (EIP-658). A receipt without one (before Byzantium, receipts carried
``root`` instead), or with anything else (the number 1, ``"success"``), is read as
confirmed only when its logs hold the very ``Transfer`` the call asked for: a reverted
execution keeps no logs, so that log is proof the transfer happened. Otherwise the
answer is "couldn't check", never a guess.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from bot.chain._calls import TokenMove, decode_call, matching_log, transfer_logs
from bot.chain._http import post_json
from bot.chain._result import NodeError, Status, TxCheck, units

SYMBOL = "0x" + function_signature_to_4byte_selector("symbol()").hex()
DECIMALS = "0x" + function_signature_to_4byte_selector("decimals()").hex()
_STATUS: dict[Any, Status] = {"0x1": "confirmed", "0x0": "failed"}
_SYMBOL = re.compile(r"^[A-Za-z0-9.$_-]{1,16}$")  # a symbol a contract may choose freely
MAX_DECIMALS = 36


def _int(value: Any) -> int:
    """A QUANTITY ("0x1a"); anything else is a malformed answer."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"not a quantity: {value!r}")
    return int(value, 16)


class EvmAdapter:
    def __init__(
        self,
        chain: str,
        url: str,
        native: str,
        tokens: dict[str, tuple[str, int]],
        *,
        limit: int = 2_000_000,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.chain = chain
        self._url = url
        self._native = native
        self._tokens = {address.lower(): meta for address, meta in tokens.items()}
        self._limit = limit
        self._headers = headers or {}

    async def _call(self, client: httpx.AsyncClient, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        reply = await post_json(
            client, self._url, body, name=self.chain, limit=self._limit, headers=self._headers
        )
        if not isinstance(reply, dict) or "error" in reply or "result" not in reply:
            raise NodeError(f"{self.chain} node: bad answer to {method}")
        return reply["result"]

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str) -> TxCheck:
        try:
            return await self._lookup(client, tx_hash)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise NodeError(f"{self.chain} node: bad answer") from exc

    async def _lookup(self, client: httpx.AsyncClient, tx_hash: str) -> TxCheck:
        tx = await self._call(client, "eth_getTransactionByHash", [tx_hash])
        if tx is None:
            return TxCheck(self.chain, "not_found", tx_hash)
        self._same_hash(tx.get("hash"), tx_hash)
        caller = str(tx["from"]).lower()[-40:]
        to = tx.get("to")
        call = decode_call(str(to).lower()[-40:], tx.get("input")) if to else None
        move: dict[str, Any] = await self._described(client, tx, call)
        if tx.get("blockNumber") is None:
            return TxCheck(self.chain, "pending", tx_hash, **move)
        receipt = await self._call(client, "eth_getTransactionReceipt", [tx_hash])
        if receipt is None:  # mined but the node's index lags: still pending to us
            return TxCheck(self.chain, "pending", tx_hash, **move)
        self._same_hash(receipt.get("transactionHash"), tx_hash)
        latest = _int(await self._call(client, "eth_blockNumber", []))
        block = _int(receipt["blockNumber"])
        if latest < block:
            # This node is behind the one that mined it, or the block was reorganised
            # away: report it as not final rather than invent confirmations.
            return TxCheck(
                self.chain,
                "pending",
                tx_hash,
                block=block,
                confirmations=0,
                error="block not yet final",
                **move,
            )
        price = _int(receipt.get("effectiveGasPrice") or tx.get("gasPrice") or "0x0")
        fee = units(_int(receipt.get("gasUsed") or "0x0") * price, 18)
        logs = transfer_logs(receipt.get("logs"))
        proof = matching_log(call, caller, logs)
        shown = proof or (None if call else self._first_log(logs, to))
        if shown is not None:
            move = await self._move(client, shown)
        status = _STATUS.get(receipt.get("status"))
        error = None
        if status is None:
            status = "confirmed" if proof else "unavailable"
            error = None if proof else "the node's receipt has no readable status"
        return TxCheck(
            self.chain,
            status,
            tx_hash,
            block=block,
            confirmations=max(latest - block + 1, 0),
            fee=f"{fee} {self._native}",
            error=error,
            **move,
        )

    def _same_hash(self, reported: Any, asked: str) -> None:
        if reported is not None and str(reported).lower() != asked.lower():
            raise NodeError(f"{self.chain} node: answered about another transaction")

    @staticmethod
    def _first_log(logs: list[TokenMove], to: Any) -> TokenMove | None:
        """A call we can't decode: the called contract's own Transfer, if it logged one."""
        called = str(to or "").lower()[-40:]
        return next((log for log in logs if log.token == called), logs[0] if logs else None)

    async def _described(
        self, client: httpx.AsyncClient, tx: dict[str, Any], call: TokenMove | None
    ) -> dict[str, Any]:
        """What the transaction asked for: the token call, else the coin it carries."""
        if call is not None:
            return await self._move(client, call, default_sender=str(tx["from"]))
        value = _int(tx.get("value") or "0x0")
        if value == 0 and (_hex_len(tx.get("input")) > 0):
            # A contract call that moves no coin and no token we can read.
            return {"sender": tx.get("from")}
        return {
            "sender": tx.get("from"),
            "recipient": tx.get("to"),
            "token": self._native,
            "amount": units(value, 18),
        }

    async def _move(
        self, client: httpx.AsyncClient, move: TokenMove, default_sender: str | None = None
    ) -> dict[str, Any]:
        contract = to_checksum_address("0x" + move.token)
        symbol, decimals = await self._token(client, contract)
        sender = to_checksum_address("0x" + move.sender) if move.sender else default_sender
        return {
            "sender": sender,
            "recipient": to_checksum_address("0x" + move.recipient),
            "token": symbol,
            "amount": units(move.raw_amount, decimals),
        }

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
        if not 0 <= decimals <= MAX_DECIMALS:
            raise NodeError(f"{self.chain}: unreadable token {address}")
        # Anyone can deploy a token and name it anything: an odd name is shown as
        # the contract address, so a message can't carry a link or a lie.
        shown = str(symbol) if _SYMBOL.match(str(symbol)) else address
        self._tokens[address.lower()] = (shown, decimals)
        return shown, decimals


def _hex_len(data: Any) -> int:
    return len(data) - 2 if isinstance(data, str) and data.startswith("0x") else 0
