"""The stolen-funds check: every check for one address, on its chains, at once.

    case = await Forensics(ChainSettings()).check("T…", chain="tron", since=None)

The checks (bot/chain/_tron_case.py, _evm_case.py) run in parallel; each node call has
its own timeout (``call_timeout_seconds``) and the whole a budget
(``forensic_budget_seconds``). A check still running at the budget is stopped and said
to be unanswered, a node that fails or answers nonsense makes its check ``failed``:
the case file then says it is partial, and nothing is inferred from a silence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import httpx

from bot.chain._case import CaseFile, CheckState, Finding, quiet
from bot.chain._evm_case import EvmCase
from bot.chain._result import NodeError
from bot.chain._settings import ChainSettings
from bot.chain._tron_case import TronCase

log = logging.getLogger(__name__)

_ORDER = {"hijack": 0, "warning": 1, "info": 2}
CHECKS = ("permissions", "approvals", "transfers")
# What a malformed answer raises while it is read; a NodeError is the node's fault too.
_BAD_ANSWER = (NodeError, KeyError, TypeError, ValueError, AttributeError, IndexError)


class Forensics:
    def __init__(self, settings: ChainSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        limit = settings.max_response_bytes
        self.cases: dict[str, EvmCase | TronCase] = {
            chain: EvmCase(
                chain,
                url,
                settings.tokens.get(chain, {}),
                limit=limit,
                headers=settings.headers_for(chain),
                allowlist=settings.spender_allowlist.get(chain, []),
                max_blocks=settings.forensic_max_blocks.get(
                    chain, settings.forensic_default_blocks
                ),
                block_seconds=settings.block_seconds.get(chain, 12.0),
                dust=settings.dust_amount,
            )
            for chain, url in settings.evm_endpoints.items()
        }
        if settings.tron_endpoint:
            self.cases["tron"] = TronCase(
                settings.tron_endpoint,
                settings.tron_indexer_endpoint,
                settings.tokens.get("tron", {}),
                limit=limit,
                headers=settings.headers_for("tron"),
                allowlist=settings.spender_allowlist.get("tron", []),
                days=settings.forensic_days,
                dust=settings.dust_amount,
            )
        self._client = client or httpx.AsyncClient(timeout=settings.call_timeout_seconds)

    def chains_for(self, address: str, chain: str | None) -> list[str]:
        """The configured chains *address* can live on: TRON for ``T…``; for ``0x…``
        the EVM chain the user named, or every configured EVM chain if none fits; none
        for any other address."""
        if address.startswith("T"):
            return ["tron"] if "tron" in self.cases else []
        if not address.lower().startswith("0x"):
            return []  # Bitcoin, Solana…: no checks for them here
        evm = [c for c in self.cases if c != "tron"]
        return [chain] if chain in evm else evm

    async def check(
        self,
        address: str,
        chain: str | None = None,
        since: datetime | None = None,
        *,
        checks: tuple[str, ...] = CHECKS,
        paid: tuple[str, ...] = (),
        budget: float | None = None,
    ) -> CaseFile:
        """The *checks* of *address*. *paid*: addresses the user says it paid (the
        transfers check compares senders of dust with them too, whatever the window
        holds). *budget*: what is left of the turn's, when less than the whole."""
        chains = self.chains_for(address, chain)
        jobs: dict[str, Any] = {}
        for name in chains:
            jobs |= self.cases[name].jobs(self._client, address, since, paid)
        for name in [n for n in jobs if n.split(":")[-1] not in checks]:
            jobs.pop(name).close()  # never started: closed, so asyncio doesn't warn
        tasks = {asyncio.ensure_future(job): name for name, job in jobs.items()}
        for task in tasks:
            task.add_done_callback(quiet)
        states: dict[str, CheckState] = {}
        findings: list[Finding] = []
        whole = self.settings.forensic_budget_seconds
        deadline = time.monotonic() + (whole if budget is None else min(budget, whole))
        done, waiting = await asyncio.wait(tasks, timeout=max(deadline - time.monotonic(), 0))
        for task in waiting:
            task.cancel()
            states[tasks[task]] = "no_answer"
        for task in done:
            name, error = tasks[task], task.exception()
            if error is None:
                found, states[name] = task.result()
                findings += found
            else:
                if not isinstance(error, _BAD_ANSWER):  # a bug: keep it in the log
                    log.warning("%s check failed", name, exc_info=error)
                states[name] = "failed"
        findings.sort(key=lambda f: (_ORDER[f.severity], f.kind, f.time or ""))
        return CaseFile(
            address,
            tuple(chains),
            tuple(findings),
            dict(sorted(states.items())),
            window=self._window(chains, since),
        )

    def _window(self, chains: list[str], since: datetime | None) -> str:
        parts = []
        for name in chains:
            case = self.cases[name]
            if isinstance(case, EvmCase):
                parts.append(f"{name}: last {case.window(since)} blocks")
            else:
                parts.append(f"{name}: last {self.settings.forensic_days} days")
        return "; ".join(parts)

    async def close(self) -> None:
        await self._client.aclose()
