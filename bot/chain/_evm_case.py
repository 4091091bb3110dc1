"""The stolen-funds checks on an EVM chain, over JSON-RPC, for the configured tokens.

- **Approvals:** ``Approval(owner, spender, value)`` logs of the address over the block
  window (``eth_getLogs``), each (token, spender) confirmed with ``allowance()`` now
  (``eth_call``): a permit signature or an old approve shows the same way, and a
  revoked one drops out. Unlimited (at least 2^96-1, far above any supply) to a
  spender off the allowlist is a drainer's shape.
- **Transfers:** ``Transfer`` logs from and to the address: the outflows, and the
  poisoning signs among them (a zero or dust transfer from, or to, an address that
  looks like one the user paid).

Only the address the user gave is asked about. Addresses inside are 40 lower-case hex.
"""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timezone
from typing import Any

import httpx
from eth_utils import to_checksum_address

from bot.chain._calls import TRANSFER_TOPIC, _hex
from bot.chain._case import CheckState, Finding, lookalike, quiet
from bot.chain._http import post_json
from bot.chain._result import NodeError, units

APPROVAL_TOPIC = "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
ALLOWANCE = "dd62ed3e"  # allowance(address,address)
UNLIMITED = 2**96 - 1
MAX_LOGS = 500  # read per query; a longer history is cut (and said to be partial)
MAX_SPENDERS = 12  # allowance() calls per check, most recent approvals first
MAX_OUTFLOWS = 20
MAX_BLOCK_TIMES = 6  # eth_getBlockByNumber calls when logs carry no blockTimestamp

Result = tuple[list[Finding], CheckState]


def _word(address: str) -> str:
    return "0" * 24 + address


class _Log:
    """One well-formed token log, or ValueError."""

    def __init__(self, raw: Any) -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("topics"), list):
            raise ValueError("not a log")
        topics = [_hex(t) for t in raw["topics"]]
        token, data, tx = (
            _hex(raw.get("address")),
            _hex(raw.get("data") or "0x"),
            raw.get("transactionHash"),
        )
        if len(topics) != 3 or any(t is None or len(t) != 64 for t in topics):
            raise ValueError("not a token log")
        if token is None or len(token) != 40 or data is None or not isinstance(tx, str):
            raise ValueError("not a token log")
        self.token, self.topic = token, str(topics[0])
        self.source, self.target = str(topics[1])[-40:], str(topics[2])[-40:]
        self.value = int(data[:64] or "0", 16)
        self.tx = tx if _hex(tx) and len(tx) == 66 else ""
        self.block = int(str(raw.get("blockNumber")), 16)
        stamp = raw.get("blockTimestamp")
        self.time: str | None = _iso(int(stamp, 16)) if isinstance(stamp, str) else None
        if not self.tx:
            raise ValueError("no transaction hash")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def _logs(raw: Any) -> tuple[list[_Log], bool]:
    """The well-formed logs (newest first) and whether the list was cut or had junk."""
    if not isinstance(raw, list):
        raise NodeError("bad answer to eth_getLogs")
    logs: list[_Log] = []
    for item in raw[:MAX_LOGS]:
        try:
            logs.append(_Log(item))
        except (ValueError, TypeError):
            continue
    cut = len(raw) > MAX_LOGS or len(logs) < min(len(raw), MAX_LOGS)
    return sorted(logs, key=lambda log: -log.block), cut


class EvmCase:
    def __init__(
        self,
        chain: str,
        url: str,
        tokens: dict[str, tuple[str, int]],
        *,
        limit: int,
        headers: dict[str, str],
        allowlist: list[str],
        max_blocks: int,
        block_seconds: float,
        dust: float,
    ) -> None:
        self.chain = chain
        self._url, self._limit, self._headers = url, limit, headers
        self._tokens = {a.lower().removeprefix("0x"): meta for a, meta in tokens.items()}
        self._allow = {a.lower().removeprefix("0x") for a in allowlist}
        self._max_blocks, self._block_seconds, self._dust = max_blocks, block_seconds, dust

    async def _call(self, client: httpx.AsyncClient, method: str, params: list[Any]) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        reply = await post_json(
            client, self._url, body, name=self.chain, limit=self._limit, headers=self._headers
        )
        if not isinstance(reply, dict) or "error" in reply or "result" not in reply:
            raise NodeError(f"{self.chain} node: bad answer to {method}")
        return reply["result"]

    def _address(self, hex40: str) -> str:
        return to_checksum_address("0x" + hex40)

    def window(self, since: datetime | None) -> int:
        """How many blocks back to read: to a day before *since*, at most the cap."""
        if since is None:
            return self._max_blocks
        seconds = (datetime.now(timezone.utc) - since).total_seconds() + 86_400
        return max(1, min(self._max_blocks, math.ceil(seconds / self._block_seconds)))

    def jobs(
        self,
        client: httpx.AsyncClient,
        address: str,
        since: datetime | None,
        paid: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """The checks to run for *address* (0x…), as coroutines returning a Result;
        *paid*: addresses the user says it paid, besides those the window shows."""
        if not self._tokens:
            return {}
        owner = address.lower().removeprefix("0x")
        latest = asyncio.ensure_future(self._call(client, "eth_blockNumber", []))
        latest.add_done_callback(quiet)
        blocks = self.window(since)
        return {
            f"{self.chain}:approvals": self._approvals(client, owner, latest, blocks),
            f"{self.chain}:transfers": self._transfers(
                client, owner, latest, blocks, [a[2:].lower() for a in paid if a[:2] == "0x"]
            ),
        }

    async def _get_logs(
        self,
        client: httpx.AsyncClient,
        latest: asyncio.Future[Any],
        blocks: int,
        topics: list[str | None],
    ) -> tuple[list[_Log], bool]:
        head = await asyncio.shield(latest)
        if not isinstance(head, str) or not head.startswith("0x"):
            raise NodeError(f"{self.chain} node: bad answer to eth_blockNumber")
        top = int(head, 16)
        query = {
            "fromBlock": hex(max(top - blocks, 0)),
            "toBlock": hex(top),
            "address": [self._address(t) for t in self._tokens],
            "topics": [f"0x{t}" if t else None for t in topics],
        }
        return _logs(await self._call(client, "eth_getLogs", [query]))

    async def _approvals(
        self, client: httpx.AsyncClient, owner: str, latest: asyncio.Future[Any], blocks: int
    ) -> Result:
        logs, cut = await self._get_logs(client, latest, blocks, [APPROVAL_TOPIC, _word(owner)])
        newest: dict[tuple[str, str], _Log] = {}
        for log in logs:
            if log.topic == APPROVAL_TOPIC and log.source == owner:
                newest.setdefault((log.token, log.target), log)
        pairs = list(newest.items())[:MAX_SPENDERS]
        cut = cut or len(newest) > MAX_SPENDERS
        answers = await asyncio.gather(
            *(self._allowance(client, token, owner, spender) for (token, spender), _ in pairs),
            return_exceptions=True,
        )
        findings = []
        for ((token, spender), log), allowance in zip(pairs, answers, strict=True):
            if isinstance(allowance, BaseException):
                cut = True
                continue
            if allowance == 0:
                continue  # revoked or spent: nothing can be pulled now
            symbol, decimals = self._tokens[token]
            unlimited = allowance >= UNLIMITED
            allowed = spender in self._allow
            findings.append(
                Finding(
                    "approval",
                    "info" if allowed else "hijack" if unlimited else "warning",
                    self.chain,
                    f"tx {log.tx} (Approval), allowance() now "
                    + ("unlimited" if unlimited else units(allowance, decimals)),
                    tx_hash=log.tx,
                    time=log.time,
                    token=symbol,
                    amount="unlimited" if unlimited else units(allowance, decimals),
                    counterparty=self._address(spender),
                    allowlisted=allowed,
                )
            )
        return findings, "partial" if cut else "done"

    async def _allowance(
        self, client: httpx.AsyncClient, token: str, owner: str, spender: str
    ) -> int:
        data = f"0x{ALLOWANCE}{_word(owner)}{_word(spender)}"
        raw = await self._call(
            client, "eth_call", [{"to": self._address(token), "data": data}, "latest"]
        )
        body = _hex(raw)
        if body is None or not 0 < len(body) <= 64:
            raise NodeError(f"{self.chain} node: bad answer to allowance()")
        return int(body, 16)

    async def _transfers(
        self,
        client: httpx.AsyncClient,
        owner: str,
        latest: asyncio.Future[Any],
        blocks: int,
        told: list[str],
    ) -> Result:
        both = await asyncio.gather(
            self._get_logs(client, latest, blocks, [TRANSFER_TOPIC, _word(owner)]),
            self._get_logs(client, latest, blocks, [TRANSFER_TOPIC, None, _word(owner)]),
            return_exceptions=True,  # both are awaited: neither error goes unread
        )
        sent, received = both
        if isinstance(sent, BaseException):
            raise sent
        if isinstance(received, BaseException):
            raise received
        (out, cut_out), (into, cut_in) = sent, received
        out = [log for log in out if log.topic == TRANSFER_TOPIC and log.source == owner]
        into = [log for log in into if log.topic == TRANSFER_TOPIC and log.target == owner]
        dust = {t: int(self._dust * 10**decimals) for t, (_, decimals) in self._tokens.items()}
        paid = [log for log in out if log.value > dust[log.token]]
        signs = [log for log in out + into if log.value <= dust[log.token]]
        chosen: list[tuple[_Log, str, str | None]] = [(log, log.target, None) for log in paid]
        chosen = chosen[:MAX_OUTFLOWS]
        payees = [p.target for p in paid] + told
        for log in signs:
            other = log.target if log.source == owner else log.source
            real = next((p for p in payees if lookalike(p, other)), None)
            if real is not None:
                chosen.append((log, other, real))
        for log in paid:  # a payment to the look-alike itself: the scam worked
            real = next((p for p in payees if lookalike(p, log.target)), None)
            if real is not None and any(log.target in (s.source, s.target) for s in signs):
                chosen.append((log, log.target, real))
        await self._times(client, [log for log, _, _ in chosen])
        findings = [
            self._finding(log, "poisoning" if real else "outflow", other, real)
            for log, other, real in chosen
        ]
        return findings, "partial" if cut_out or cut_in else "done"

    def _finding(self, log: _Log, kind: Any, other: str, real: str | None = None) -> Finding:
        symbol, decimals = self._tokens[log.token]
        return Finding(
            kind,
            "warning" if kind == "poisoning" else "info",
            self.chain,
            f"tx {log.tx} (Transfer)",
            tx_hash=log.tx,
            time=log.time,
            token=symbol,
            amount=units(log.value, decimals),
            counterparty=self._address(other),
            lookalike_of=self._address(real) if real else None,
        )

    async def _times(self, client: httpx.AsyncClient, logs: list[_Log]) -> None:
        """Block times for logs that came without one (a few blocks at most; a block
        the node can't give just leaves its time out)."""
        blocks = list(dict.fromkeys(log.block for log in logs if log.time is None))
        blocks = blocks[:MAX_BLOCK_TIMES]
        answers = await asyncio.gather(
            *(self._call(client, "eth_getBlockByNumber", [hex(b), False]) for b in blocks),
            return_exceptions=True,
        )
        times: dict[int, str] = {}
        for block, answer in zip(blocks, answers, strict=True):
            stamp = answer.get("timestamp") if isinstance(answer, dict) else None
            if isinstance(stamp, str) and stamp.startswith("0x"):
                times[block] = _iso(int(stamp, 16))
        for log in logs:
            log.time = log.time or times.get(log.block)
