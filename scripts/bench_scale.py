"""Scale-out benchmark (docs/benchmarks.md, "Scaling out"). Prints Markdown.

1 and then 2 gateway+Rasa pairs over PostgreSQL and Redis, started with the role
commands, under the same web chat load (alternating, ``--rounds`` times each); CPU
seconds per message from /proc; then the console latency across gateways.

    .venv/bin/python scripts/bench_scale.py [--conversations 50] [--messages 6] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import clients as cl
from tests.support import cluster as c

LINES = [
    "hello",
    "what are your support hours?",
    "how do I back up my wallet?",
    "客服电话是多少",
    "¿cuál es el teléfono de soporte?",
    "thanks",
]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of *pid* and its children so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine so far (all cores)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICKS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(gateways: list[str], conversations: int, messages: int) -> dict[str, Any]:
    latencies: list[float] = []
    async with cl.client() as http:
        visitors = [cl.Visitor(gateways, i % len(gateways)) for i in range(conversations)]
        await asyncio.gather(*(v.open(http) for v in visitors))
        for visitor in visitors[:10]:  # warm-up: models, caches, connection pools
            await visitor.say(http, "hello")

        async def converse(visitor: cl.Visitor) -> None:
            for n in range(messages):
                started = time.perf_counter()
                await visitor.say(http, LINES[n % len(LINES)])
                latencies.append(time.perf_counter() - started)

        begun = time.perf_counter()
        await asyncio.gather(*(converse(v) for v in visitors))
        wall = time.perf_counter() - begun
        for visitor in visitors:
            await visitor.close()
    return {"wall": wall, "latencies": latencies, "count": len(latencies)}


def run_pairs(pairs: int, conversations: int, messages: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, c.cluster(Path(tmp), pairs) as running:
        group, gateways, _rasas = running
        mine = [p.popen.pid for p in group.processes if p.popen.poll() is None]
        cpu_before = {pid: cpu_seconds(pid) for pid in mine}
        busy_before, own_before = machine_busy(), time.process_time()
        result = asyncio.run(load([g.url for g in gateways], conversations, messages))
        busy = machine_busy() - busy_before
        own = time.process_time() - own_before
        roles: dict[str, float] = {}
        for process in group.processes:
            pid = process.popen.pid
            if pid in cpu_before:
                spent = cpu_seconds(pid) - cpu_before[pid]
                roles[process.role] = roles.get(process.role, 0.0) + spent
    count = result["count"]
    return {
        "pairs": pairs,
        "rate": count / result["wall"],
        "p50": statistics.median(result["latencies"]) * 1000,
        "p95": percentile(result["latencies"], 0.95) * 1000,
        "cpu_per_message_ms": {role: 1000 * s / count for role, s in roles.items()},
        "machine_cpu_per_message_ms": 1000 * (busy - own) / count,
        "load_generator_ms": 1000 * own / count,
    }


async def console_latency(gateways: list[str], database_url: str, samples: int) -> dict[str, Any]:
    """A user on gateway A, an agent console on gateway B: how soon does B see it?"""
    [email] = c.create_agents(database_url, 1)
    async with cl.client(60) as http:
        agent = cl.Agent(gateways[1], email)
        await agent.log_in(http)
        escalation: list[float] = []
        follow_up: list[float] = []
        for _ in range(samples):
            visitor = cl.Visitor(gateways, 0)
            await visitor.open(http)
            for kind, text, into in (
                ("escalation", "I want to talk to a human agent", escalation),
                ("follow-up", "it has been an hour, please hurry", follow_up),
            ):
                seen = len(agent.events)
                started = time.monotonic()
                await visitor.say(http, text)
                deadline = started + 10
                while time.monotonic() < deadline:
                    hits = [
                        t
                        for t, e in agent.events[seen:]
                        if e.get("conversation_id") == visitor.conversation
                    ]
                    if hits:
                        into.append(hits[0] - started)
                        break
                    await asyncio.sleep(0.002)
                else:
                    raise RuntimeError(f"no console event for the {kind}")
            await visitor.close()
        await agent.close()
    return {"escalation": escalation, "follow_up": follow_up}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    missing = c.services_up()
    if missing:
        raise SystemExit(missing)

    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for pairs in (1, 2):
            runs[pairs].append(run_pairs(pairs, args.conversations, args.messages))
            print(f"# {pairs} pair(s): {runs[pairs][-1]}", file=sys.stderr)

    def med(pairs: int, key: str) -> float:
        return statistics.median(r[key] for r in runs[pairs])

    total = args.conversations * args.messages
    print(f"\n#### Scaling: {args.conversations} web chat conversations × {args.messages} messages")
    print(f"({total} messages per run; median of {args.rounds} runs each, alternating)\n")
    print("| gateway+Rasa pairs | messages/s | p50 latency | p95 latency |")
    print("|---|---|---|---|")
    for pairs in (1, 2):
        print(
            f"| {pairs} | {med(pairs, 'rate'):.1f} | {med(pairs, 'p50'):.0f} ms "
            f"| {med(pairs, 'p95'):.0f} ms |"
        )
    print(f"\nratio (2 pairs / 1 pair): {med(2, 'rate') / med(1, 'rate'):.2f}× messages/s\n")
    print("CPU per message (ms), by process role, median over runs:\n")
    roles = sorted({role for r in runs[1] + runs[2] for role in r["cpu_per_message_ms"]})
    print("| pairs | " + " | ".join(roles) + " | whole machine (minus load generator) |")
    print("|---|" + "---|" * (len(roles) + 1))
    for pairs in (1, 2):
        cells = [
            f"{statistics.median(r['cpu_per_message_ms'].get(role, 0.0) for r in runs[pairs]):.1f}"
            for role in roles
        ]
        machine = med(pairs, "machine_cpu_per_message_ms")
        print(f"| {pairs} | " + " | ".join(cells) + f" | {machine:.1f} |")
    print(f"\nload generator: {med(2, 'load_generator_ms'):.1f} ms CPU per message")

    with tempfile.TemporaryDirectory() as tmp, c.cluster(Path(tmp), 2) as running:
        group, gateways, _ = running
        urls = [g.url for g in gateways]
        found = asyncio.run(console_latency(urls, group.env["DATABASE_URL"], args.samples))
    print(f"\n#### Console latency across gateways ({args.samples} users on A, a console on B)\n")
    print("| from the user's message on gateway A to the console event on gateway B | p50 | p95 |")
    print("|---|---|---|")
    for label, key in (
        ("escalation (includes the bot's turn that opens the session)", "escalation"),
        ("a user message while queued (store, then Redis fan-out)", "follow_up"),
    ):
        values = found[key]
        print(
            f"| {label} | {1000 * statistics.median(values):.0f} ms "
            f"| {1000 * percentile(values, 0.95):.0f} ms |"
        )


if __name__ == "__main__":
    main()
