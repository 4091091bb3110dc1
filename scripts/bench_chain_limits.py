"""Hostile node answers (docs/benchmarks.md, issue 20): one lookup whose nodes answer with
a 160 MB JSON array or a gzip bomb, against the same lookup with normal answers, while
other users' lookups run in the same event loop. Each case runs in a process of its own
(for its peak memory). Prints Markdown.

    .venv/bin/python scripts/bench_chain_limits.py [--tree DIR]

``--tree`` runs another checkout's ``bot/chain`` (e.g. the code before the fix).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "0x" + "a1" * 32
OTHERS = ["0x" + "a4" * 32, "b1" * 32, "b2" * 32]
CASES = {
    "normal answer": {},
    "160 MB JSON array": {"ethereum": "huge", "bsc": "huge", "tron": "huge"},
    "gzip bomb (64 MB inflated)": {"ethereum": "bomb", "bsc": "bomb", "tron": "bomb"},
}


async def measure(hostile_url: str, normal_url: str) -> dict[str, Any]:
    from bot.chain import ChainLookup, ChainSettings

    def lookup(url: str) -> ChainLookup:
        return ChainLookup(
            ChainSettings(
                evm_endpoints={"ethereum": f"{url}/evm/ethereum", "bsc": f"{url}/evm/bsc"},
                tron_endpoint=f"{url}/tron",
                call_timeout_seconds=1.5,
                budget_seconds=3.0,
                cache_seconds=0.001,
            )
        )

    victim, others = lookup(hostile_url), lookup(normal_url)
    await others.lookup(OTHERS[0])  # warm up: connections, TLS context
    lags: list[float] = []
    other_ms: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:  # how late the loop runs a 10 ms sleep: others' delay
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - started - 0.01) * 1000)

    async def other_users() -> None:
        i = 0
        while not done.is_set():
            started = time.perf_counter()
            await others.lookup(OTHERS[i % len(OTHERS)])
            other_ms.append((time.perf_counter() - started) * 1000)
            i += 1

    background = [asyncio.ensure_future(ticker()), asyncio.ensure_future(other_users())]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    result = await victim.lookup(HOSTILE)
    took = (time.perf_counter() - started) * 1000
    done.set()
    await asyncio.gather(*background)
    await victim.close()
    await others.close()
    return {
        "ms": took,
        "status": result.status,
        "error": (result.error or "")[:60],
        "other_p50": statistics.median(other_ms),
        "other_max": max(other_ms),
        "lag_max": max(lags),
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def nodes(mode: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    # The fake nodes are this checkout's whatever --tree is; the lookup stays the tree's.
    sys.path.insert(0, str(ROOT))
    try:
        from tests.fakes.chain_process import nodes_process
    finally:
        sys.path.remove(str(ROOT))
    return nodes_process(json.dumps(mode))


def one_case(name: str, tree: Path) -> dict[str, Any]:
    sys.path.insert(0, str(tree))
    hostile, hostile_url = nodes(CASES[name])
    normal, normal_url = nodes({})
    try:
        return asyncio.run(measure(hostile_url, normal_url))
    finally:
        for process in (hostile, normal):
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--case")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(one_case(args.case, args.tree)))
        return 0
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = [
        f"Measured by `scripts/bench_chain_limits.py` at {when} (tree: {args.tree.name}).",
        "",
        "| node's answer | lookup ms | result | others' lookups p50 / max ms "
        "| loop lag max ms | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for name in CASES:
        done = subprocess.run(
            [sys.executable, __file__, "--case", name, "--tree", str(args.tree)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        out.append(
            f"| {name} | {r['ms']:.0f} | {r['status']} ({r['error'] or 'ok'}) | "
            f"{r['other_p50']:.0f} / {r['other_max']:.0f} | {r['lag_max']:.0f} | "
            f"{r['rss_mb']:.0f} |"
        )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
