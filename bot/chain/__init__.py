"""Look a transaction up on the configured chains: what happened to the user's transfer.

    check = await ChainLookup(ChainSettings()).lookup(tx_hash, chain=None)

Every configured chain is asked at once, whatever chain the user named: users mix up
networks, and a hash says little about its chain (an EVM hash is ``0x`` + 64 hex, a
TRON one the same 64 hex without ``0x``, and either gets copied with or without it).
Each adapter gets the hash in its chain's form. Each call has a short timeout and the
whole lookup a budget; a node that fails or hangs makes the result ``unavailable``,
never a guessed status, unless another chain found the transaction.

    case = await Forensics(ChainSettings()).check(address, chain, since)

is the stolen-funds check of one address (bot/chain/_forensic.py): TRON permissions,
token approvals, outflows and address poisoning, under the same kind of budget, into a
:class:`CaseFile` whose findings each name their evidence.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import replace
from typing import Protocol

import httpx

from bot.chain._case import CaseFile, Finding, lookalike, same_address
from bot.chain._evm import EvmAdapter
from bot.chain._forensic import Forensics
from bot.chain._result import UNREACHABLE, NodeError, Status, TxCheck, units
from bot.chain._settings import ChainSettings
from bot.chain._tron import TronAdapter, tron_address

log = logging.getLogger(__name__)

_HASH = re.compile(r"^(?:0x)?[0-9a-fA-F]{64}$")


class InvalidHash(ValueError):
    """Not a transaction hash any configured chain uses; the message says what is."""


class Adapter(Protocol):
    chain: str

    async def lookup(self, client: httpx.AsyncClient, tx_hash: str) -> TxCheck: ...


class ChainLookup:
    def __init__(self, settings: ChainSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        limit = settings.max_response_bytes
        self.adapters: dict[str, Adapter] = {
            chain: EvmAdapter(
                chain,
                url,
                settings.native.get(chain, "ETH"),
                settings.tokens.get(chain, {}),
                limit=limit,
                headers=settings.headers_for(chain),
            )
            for chain, url in settings.evm_endpoints.items()
        }
        if settings.tron_endpoint:
            self.adapters["tron"] = TronAdapter(
                settings.tron_endpoint,
                settings.tokens.get("tron", {}),
                limit=limit,
                headers=settings.headers_for("tron"),
            )
        self._client = client or httpx.AsyncClient(timeout=settings.call_timeout_seconds)
        self._cache: dict[str, tuple[float, TxCheck]] = {}

    def candidates(self, tx_hash: str, chain: str | None = None) -> list[str]:
        """Every configured chain: the one the user named first, then the chains whose
        hashes look like this one, then the rest."""
        if not _HASH.match(tx_hash):
            raise InvalidHash(
                "a transaction hash is 64 hexadecimal characters (0-9, a-f); on Ethereum, "
                "BNB Chain and Polygon it starts with 0x"
            )
        evm_looking = tx_hash.startswith("0x")
        return sorted(
            self.adapters,
            key=lambda c: (c != chain, (c == "tron") == evm_looking),
        )

    @staticmethod
    def form(tx_hash: str, chain: str) -> str:
        """The hash as *chain* writes it: ``0x…`` on EVM chains, bare hex on TRON."""
        bare = tx_hash.removeprefix("0x")
        return bare.lower() if chain == "tron" else f"0x{bare}"

    async def lookup(
        self, tx_hash: str, chain: str | None = None, *, only: str | None = None
    ) -> TxCheck:
        """What the chains say about *tx_hash*. With *only*, ask that chain alone and
        afresh (the user says it is there: the node may have caught up since)."""
        tx_hash = tx_hash.strip()
        key = f"{tx_hash.removeprefix('0x').lower()}|{only or ''}"
        cached = self._cache.get(key)
        if only is None and cached and time.monotonic() - cached[0] < self.settings.cache_seconds:
            return cached[1]
        chains = self.candidates(tx_hash, chain)
        if only is not None:
            chains = [c for c in chains if c == only]
        if not chains:
            return TxCheck(
                only or chain or "unknown",
                "unavailable",
                tx_hash,
                error="no node is configured for this network",
            )
        tasks = {
            asyncio.ensure_future(self.adapters[c].lookup(self._client, self.form(tx_hash, c))): c
            for c in chains
        }
        found, failures = await self._first_found(tasks)
        if found:
            # The chain the user named wins a tie (the same hash on two EVM chains).
            found.sort(key=lambda r: chains.index(r.chain))
            result = replace(found[0], searched=tuple(chains))
        elif failures:  # not found where we could look, unknown where we couldn't
            return TxCheck(
                only or chain or chains[0],
                "unavailable",
                tx_hash,
                error="; ".join(failures),
                searched=tuple(chains),
            )
        else:
            result = TxCheck(
                only or chain or chains[0], "not_found", tx_hash, searched=tuple(chains)
            )
        if result.status != "unavailable":  # a node that couldn't tell may tell next time
            self._cache[key] = (time.monotonic(), result)
        return result

    async def _first_found(
        self, tasks: dict[asyncio.Task[TxCheck], str]
    ) -> tuple[list[TxCheck], list[str]]:
        """Stop at the first chain that has the transaction; else wait out the budget."""
        deadline = time.monotonic() + self.settings.budget_seconds
        waiting = set(tasks)
        found: list[TxCheck] = []
        failures: list[str] = []
        while waiting and not found:
            done, waiting = await asyncio.wait(
                waiting,
                timeout=max(deadline - time.monotonic(), 0),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if not done:
                break  # out of budget
            for task in done:
                error = task.exception()
                if isinstance(error, NodeError):
                    failures.append(str(error))
                elif error is not None:  # a bug, not the node: its text stays in the log
                    log.warning("%s lookup failed", tasks[task], exc_info=error)
                    failures.append(f"{tasks[task]}: {UNREACHABLE}")
                elif task.result().status != "not_found":
                    found.append(task.result())
        for task in waiting:
            task.cancel()
            if not found:
                failures.append(f"{tasks[task]}: no answer in time")
        return found, failures

    async def close(self) -> None:
        await self._client.aclose()


__all__ = [
    "CaseFile",
    "ChainLookup",
    "ChainSettings",
    "Finding",
    "Forensics",
    "InvalidHash",
    "NodeError",
    "Status",
    "TxCheck",
    "lookalike",
    "same_address",
    "tron_address",
    "units",
]
