"""The stolen-funds checks on TRON.

- **Permissions** (full node, ``/wallet/getaccount`` with ``visible``): a fresh
  account's owner and active permissions hold one key, its own address, threshold 1.
  A key that isn't the address means someone else can sign for it (多签盗U); a
  threshold above the address's own weight means its owner can no longer sign alone.
  With an indexer, the ``AccountPermissionUpdateContract`` that did it is named.
- **Transfers and approvals** (a TronGrid-style indexer, optional: a full node can't
  list an address's transfers): ``/v1/accounts/{address}/transactions/trc20`` gives
  the TRC-20 ``Transfer`` and ``Approval`` events; each approval is confirmed with
  ``allowance()`` on the full node (``/wallet/triggerconstantcontract``).

Addresses are base58 (``T…``); a node that answers in 41-hex is read as well.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import base58
import httpx

from bot.chain._case import CheckState, Finding, lookalike, quiet
from bot.chain._evm_case import MAX_OUTFLOWS, MAX_SPENDERS, UNLIMITED
from bot.chain._http import post_json
from bot.chain._result import NodeError, units
from bot.chain._tron import tron_address

Result = tuple[list[Finding], CheckState]
MAX_EVENTS = 200
_PERMISSION_UPDATE = "AccountPermissionUpdateContract"


def _base58(value: Any) -> str:
    """A TRON address as users write it; anything else (a node's free text in an
    address field, say) is a ValueError, never shown to anyone."""
    text = str(value)
    if len(text) == 42 and text.startswith("41"):
        return tron_address(text)
    raw = base58.b58decode_check(text)  # ValueError on a bad checksum
    if len(raw) != 21 or raw[0] != 0x41:
        raise ValueError("not a TRON address")
    return text


def _hex40(address: str) -> str:
    return base58.b58decode_check(address)[1:].hex()


def _iso(millis: Any) -> str | None:
    if not isinstance(millis, int) or isinstance(millis, bool):
        return None
    return datetime.fromtimestamp(millis / 1000, timezone.utc).isoformat(timespec="seconds")


def _permission(
    kind: str, address: str, permission: Any, update: tuple[str, str | None] | None
) -> Finding | None:
    """A finding when *permission* lets anyone but *address* sign, or locks it out."""
    if not isinstance(permission, dict):
        raise ValueError("not a permission")
    threshold = int(permission.get("threshold", 1))
    keys = [(_base58(k["address"]), int(k.get("weight", 1))) for k in permission["keys"]]
    foreign = tuple(key for key, _ in keys if key != address)
    own = sum(weight for key, weight in keys if key == address)
    if not foreign and threshold <= own and threshold == 1:
        return None
    name = str(permission.get("permission_name") or kind.split("_")[0])
    seen = f"{name} permission of {address}: threshold {threshold}, keys " + ", ".join(
        f"{key} (weight {weight})" for key, weight in keys
    )
    tx_hash, time = update or (None, None)
    if tx_hash:
        seen += f"; changed by tx {tx_hash}"
    return Finding(
        "owner_permission" if kind == "owner" else "active_permission",
        "hijack" if foreign or threshold > own else "warning",
        "tron",
        seen,
        tx_hash=tx_hash,
        time=time,
        threshold=threshold,
        keys=foreign,
    )


class TronCase:
    chain = "tron"

    def __init__(
        self,
        url: str,
        indexer: str,
        tokens: dict[str, tuple[str, int]],
        *,
        limit: int,
        headers: dict[str, str],
        allowlist: list[str],
        days: int,
        dust: float,
    ) -> None:
        self._url, self._indexer = url.rstrip("/"), indexer.rstrip("/")
        self._tokens, self._limit, self._headers = tokens, limit, headers
        self._allow, self._days, self._dust = set(allowlist), days, dust

    async def _ask(self, client: httpx.AsyncClient, url: str, body: dict[str, Any] | None) -> Any:
        reply = await post_json(
            client, url, body, name="tron", limit=self._limit, headers=self._headers
        )
        if not isinstance(reply, dict) or "Error" in reply:
            raise NodeError("tron node: bad answer")
        return reply

    def jobs(
        self,
        client: httpx.AsyncClient,
        address: str,
        since: datetime | None,
        paid: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        jobs = {"tron:permissions": self._permissions(client, address)}
        if self._indexer:
            start = datetime.now(timezone.utc) - timedelta(days=self._days)
            start = max(start, since - timedelta(days=1)) if since else start
            events = asyncio.ensure_future(self._events(client, address, start))
            events.add_done_callback(quiet)
            jobs["tron:approvals"] = self._approvals(client, address, events)
            told = [a for a in paid if a.startswith("T")]
            jobs["tron:transfers"] = self._transfers(address, events, told)
        return jobs

    async def _permissions(self, client: httpx.AsyncClient, address: str) -> Result:
        update = None
        if self._indexer:
            update = asyncio.ensure_future(self._last_update(client, address))
            update.add_done_callback(quiet)
        body = {"address": address, "visible": True}
        account = await self._ask(client, f"{self._url}/wallet/getaccount", body)
        if not account:  # never activated: nobody can have changed its permissions
            return [], "done"
        changed: tuple[str, str | None] | None = None
        state: CheckState = "done"
        if update is not None:
            try:
                changed = await update
            except (NodeError, ValueError, TypeError, KeyError, AttributeError):
                state = "partial"  # the permissions are read; when they changed isn't
        findings = []
        owner = account.get("owner_permission")
        if owner is not None:
            findings.append(_permission("owner", address, owner, changed))
        actives = account.get("active_permission") or []
        if not isinstance(actives, list):
            raise ValueError("not a permission list")
        findings += [_permission("active", address, active, changed) for active in actives[:8]]
        return [f for f in findings if f is not None], state

    async def _last_update(
        self, client: httpx.AsyncClient, address: str
    ) -> tuple[str, str | None] | None:
        url = f"{self._indexer}/v1/accounts/{address}/transactions?only_from=true&limit=50"
        reply = await self._ask(client, url, None)
        for tx in reply.get("data") or []:
            contract = tx["raw_data"]["contract"][0]
            if contract.get("type") == _PERMISSION_UPDATE:
                return str(tx["txID"]), _iso(tx.get("block_timestamp"))
        return None

    async def _events(
        self, client: httpx.AsyncClient, address: str, start: datetime
    ) -> tuple[list[dict[str, Any]], bool]:
        since = int(start.timestamp() * 1000)
        url = (
            f"{self._indexer}/v1/accounts/{address}/transactions/trc20"
            f"?limit={MAX_EVENTS}&min_timestamp={since}"
        )
        reply = await self._ask(client, url, None)
        data = reply.get("data")
        if not isinstance(data, list):
            raise NodeError("tron indexer: bad answer")
        events, cut = [], len(data) > MAX_EVENTS
        for item in data[:MAX_EVENTS]:
            try:
                info = item["token_info"]
                token = _base58(info["address"])
                symbol, decimals = self._tokens.get(token, (None, None))
                if symbol is None:
                    continue  # only the configured tokens: their decimals are known
                events.append(
                    {
                        "type": str(item.get("type") or "Transfer"),
                        "tx": str(item["transaction_id"]),
                        "time": _iso(item.get("block_timestamp")),
                        "token": token,
                        "symbol": symbol,
                        "decimals": decimals,
                        "from": _base58(item["from"]),
                        "to": _base58(item["to"]),
                        "value": int(str(item["value"])),
                    }
                )
            except (KeyError, TypeError, ValueError):
                cut = True
        return events, cut

    async def _approvals(
        self, client: httpx.AsyncClient, address: str, events: asyncio.Future[Any]
    ) -> Result:
        listed, cut = await asyncio.shield(events)
        newest: dict[tuple[str, str], dict[str, Any]] = {}
        for event in listed:
            if event["type"] == "Approval" and event["from"] == address:
                newest.setdefault((event["token"], event["to"]), event)
        pairs = list(newest.values())[:MAX_SPENDERS]
        cut = cut or len(newest) > MAX_SPENDERS
        answers = await asyncio.gather(
            *(self._allowance(client, e["token"], address, e["to"]) for e in pairs),
            return_exceptions=True,
        )
        findings = []
        for event, allowance in zip(pairs, answers, strict=True):
            if isinstance(allowance, BaseException):
                cut = True
                continue
            if allowance == 0:
                continue
            unlimited, allowed = allowance >= UNLIMITED, event["to"] in self._allow
            amount = "unlimited" if unlimited else units(allowance, event["decimals"])
            findings.append(
                Finding(
                    "approval",
                    "info" if allowed else "hijack" if unlimited else "warning",
                    "tron",
                    f"tx {event['tx']} (Approval), allowance() now {amount}",
                    tx_hash=event["tx"],
                    time=event["time"],
                    token=event["symbol"],
                    amount=amount,
                    counterparty=event["to"],
                    allowlisted=allowed,
                )
            )
        return findings, "partial" if cut else "done"

    async def _allowance(
        self, client: httpx.AsyncClient, token: str, owner: str, spender: str
    ) -> int:
        body = {
            "owner_address": owner,
            "contract_address": token,
            "function_selector": "allowance(address,address)",
            "parameter": "0" * 24 + _hex40(owner) + "0" * 24 + _hex40(spender),
            "visible": True,
        }
        reply = await self._ask(client, f"{self._url}/wallet/triggerconstantcontract", body)
        (result,) = reply["constant_result"]
        if not isinstance(result, str) or not 0 < len(result) <= 64:
            raise NodeError("tron node: bad answer to allowance()")
        return int(result, 16)

    async def _transfers(
        self, address: str, events: asyncio.Future[Any], told: list[str]
    ) -> Result:
        listed, cut = await asyncio.shield(events)
        moves = [e for e in listed if e["type"] == "Transfer" and address in (e["from"], e["to"])]
        dust = {e["tx"]: e["value"] <= int(self._dust * 10 ** e["decimals"]) for e in moves}
        paid = [e for e in moves if e["from"] == address and not dust[e["tx"]]]
        signs = [e for e in moves if dust[e["tx"]]]
        chosen = [(e, e["to"], None) for e in paid[:MAX_OUTFLOWS]]
        payees = [p["to"] for p in paid] + told
        for event in signs:
            other = event["to"] if event["from"] == address else event["from"]
            real = next((p for p in payees if lookalike(p, other)), None)
            if real is not None:
                chosen.append((event, other, real))
        for event in paid:
            real = next((p for p in payees if lookalike(p, event["to"])), None)
            if real is not None and any(event["to"] in (s["from"], s["to"]) for s in signs):
                chosen.append((event, event["to"], real))
        return [
            Finding(
                "poisoning" if real else "outflow",
                "warning" if real else "info",
                "tron",
                f"tx {event['tx']} (Transfer)",
                tx_hash=event["tx"],
                time=event["time"],
                token=event["symbol"],
                amount=units(event["value"], event["decimals"]),
                counterparty=other,
                lookalike_of=real,
            )
            for event, other, real in chosen
        ], "partial" if cut else "done"
