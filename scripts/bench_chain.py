"""Chain lookup benchmark (docs/benchmarks.md): 50 concurrent lookups against the local
nodes of tests/fakes/chain.py, then the same with one chain's node hanging. Prints Markdown.

    .venv/bin/python scripts/bench_chain.py
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chain import ChainLookup, ChainSettings

HASHES = ["0x" + "a1" * 32, "0x" + "a4" * 32, "b1" * 32, "b2" * 32, "0x" + "ee" * 32]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(nodes: RemoteNodes, concurrent: int) -> tuple[list[float], list[str]]:
    settings = ChainSettings(
        evm_endpoints={"ethereum": f"{nodes.url}/evm/ethereum", "bsc": f"{nodes.url}/evm/bsc"},
        tron_endpoint=f"{nodes.url}/tron",
        call_timeout_seconds=1.5,
        budget_seconds=3.0,
        cache_seconds=0.001,  # measure lookups, not the cache
    )
    lookup = ChainLookup(settings)
    times: list[float] = []
    statuses: list[str] = []

    async def one(i: int) -> None:
        started = time.perf_counter()
        result = await lookup.lookup(HASHES[i % len(HASHES)])
        times.append((time.perf_counter() - started) * 1000)
        statuses.append(f"{result.chain}:{result.status}")

    await asyncio.gather(*(one(i) for i in range(concurrent)))
    await lookup.close()
    return times, statuses


SERVE = """
import sys, time, json
from tests.fakes.chain import Nodes
nodes = Nodes()
nodes.mode = json.loads(sys.argv[1])
print(nodes.url, flush=True)
time.sleep(3600)
"""


class RemoteNodes:
    """The local nodes in a process of their own, so they don't share this one's GIL."""

    def __init__(self, mode: dict[str, str]) -> None:
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, json.dumps(mode)],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a cancelled lookup leaves the fake a broken pipe
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def main() -> int:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = [
        f"Measured by `scripts/bench_chain.py` at {when}.",
        "",
        "| case | lookups | p50 ms | p95 ms | max ms | results |",
        "|---|---|---|---|---|---|",
    ]
    cases = (("all nodes healthy", {}), ("BNB Chain's node hangs (3 s)", {"bsc": "hang"}))
    for label, mode in cases:
        nodes = RemoteNodes(mode)
        try:
            asyncio.run(run(nodes, 5))  # warm up
            times, statuses = asyncio.run(run(nodes, 50))
        finally:
            nodes.close()
        counts = ", ".join(f"{k} {statuses.count(k)}" for k in sorted(set(statuses)))
        out.append(
            f"| {label} | 50 at once | {statistics.median(times):.0f} | "
            f"{pct(times, 0.95):.0f} | {max(times):.0f} | {counts} |"
        )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
