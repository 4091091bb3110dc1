"""Stolen-funds check benchmark (docs/benchmarks.md): 50 whole checks against the local
nodes of tests/fakes/chain.py (in a process of their own), with every node answering,
then with one hanging; and the node calls one check makes. Prints Markdown.

    .venv/bin/python scripts/bench_forensic.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chain import ChainSettings, Forensics
from scripts.bench_chain import RemoteNodes, pct
from tests.fakes import chain_forensic as acct

# A mix of what users bring: a drained EVM address, a poisoned one, a clean one, a
# hijacked TRON account, a TRON one with a poisoning pair and an approval (indexer).
ADDRESSES = [acct.DRAINED, acct.POISONED, acct.CLEAN, acct.TRON_HIJACKED, acct.TRON_POISONED]

SERVE = """
import sys, time, json
from tests.fakes.chain import Nodes
nodes = Nodes()
nodes.mode = json.loads(sys.argv[1])
print(nodes.url, flush=True)
for line in sys.stdin:  # "count" -> the calls so far, then forget them
    print(len(nodes.calls), flush=True)
    nodes.calls.clear()
"""


class CountingNodes(RemoteNodes):
    """The nodes of bench_chain, which can also say how many calls they answered."""

    def __init__(self, mode: dict[str, str]) -> None:
        import subprocess

        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, json.dumps(mode)],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def count(self) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())


def settings(url: str) -> ChainSettings:
    return ChainSettings(
        evm_endpoints={"ethereum": f"{url}/evm/ethereum"},
        tron_endpoint=f"{url}/tron",
        tron_indexer_endpoint=f"{url}/tron-index",
        spender_allowlist={"ethereum": [acct.ROUTER]},
    )  # production timing: 1.5 s per call, 3.5 s for the whole check


async def run(url: str, checks: int, at_once: bool = True) -> tuple[list[float], list[str]]:
    forensics = Forensics(settings(url))
    times: list[float] = []
    verdicts: list[str] = []

    async def one(i: int) -> None:
        started = time.perf_counter()
        case = await forensics.check(ADDRESSES[i % len(ADDRESSES)])
        times.append((time.perf_counter() - started) * 1000)
        verdicts.append(case.verdict)

    if at_once:
        await asyncio.gather(*(one(i) for i in range(checks)))
    else:
        for i in range(checks):
            await one(i)
    await forensics.close()
    return times, verdicts


async def calls_per_check(nodes: CountingNodes) -> dict[str, int]:
    counts: dict[str, Any] = {}
    nodes.count()
    for address in ADDRESSES:
        forensics = Forensics(settings(nodes.url))
        await forensics.check(address)
        await forensics.close()
        counts[address[:6] + "…"] = nodes.count()
    return counts


def main() -> int:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = [
        f"Measured by `scripts/bench_forensic.py` at {when}.",
        "",
        "| case | checks | p50 ms | p95 ms | max ms | verdicts |",
        "|---|---|---|---|---|---|",
    ]
    cases = (
        ("all nodes answering", {}),
        ("Ethereum's node hangs (3 s)", {"ethereum": "hang"}),
        ("TRON's indexer hangs (3 s)", {"tron-index": "hang"}),
    )
    calls: dict[str, int] = {}
    for label, mode in cases:
        nodes = CountingNodes(mode)
        try:
            asyncio.run(run(nodes.url, 5))  # warm up
            for at_once in (False, True):
                times, verdicts = asyncio.run(run(nodes.url, 50, at_once))
                counts = ", ".join(f"{k} {verdicts.count(k)}" for k in sorted(set(verdicts)))
                out.append(
                    f"| {label} | 50 {'at once' if at_once else 'one by one'} | "
                    f"{statistics.median(times):.0f} | {pct(times, 0.95):.0f} | "
                    f"{max(times):.0f} | {counts} |"
                )
            if not mode:
                calls = asyncio.run(calls_per_check(nodes))
        finally:
            nodes.close()
    out += ["", "| address | node calls per check |", "|---|---|"]
    out += [f"| {name} | {n} |" for name, n in calls.items()]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
