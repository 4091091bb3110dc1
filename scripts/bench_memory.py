"""The leak check: each process's RSS over 10,000 web chat messages. Markdown.

Our stack runs as ``make run`` runs it (the embedded profile: action server, Rasa, the
gateway, SQLite). ``--messages`` messages go through the gateway's web chat API, many
new conversations at once (``--concurrency``), each a short script from a realistic mix:
greetings, knowledge-base questions in three languages, a form started and cancelled,
thanks and goodbyes. After a warm-up (models, caches, pools, the tracker cache filled),
each process's RSS (``/proc/PID/status``) is sampled every ``--every`` messages; the
growth is from the sample at ``--every`` to the last. The issue's bar: no process grows
by more than 10% over 10,000 messages.

    nice .venv/bin/python scripts/bench_memory.py [--messages 10000] [--every 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_throughput import memory_mb
from tests.support.servers import running_servers

ENV = {"DESK_LIMIT_MESSAGES_PER_VISITOR": "1000000/minute"}
# One conversation each: (language, text) turns. A KB question in every language, a
# form started and cancelled, small talk around them.
SCRIPTS: list[list[tuple[str, str]]] = [
    [("en", "hi"), ("en", "how do I back up my wallet?"), ("en", "thanks"), ("en", "bye")],
    [
        ("en", "hello"),
        ("en", "my USDT hasn't arrived"),
        ("en", "cancel"),
        ("en", "what are your support hours?"),
        ("en", "bye"),
    ],
    [("zh", "你好"), ("zh", "客服电话是多少"), ("zh", "怎么导出交易记录"), ("zh", "谢谢")],
    [("es", "hola"), ("es", "¿cómo hago una copia de seguridad?"), ("es", "gracias")],
    [("en", "please call me back"), ("en", "cancel"), ("en", "how do I back up my wallet?")],
]


async def converse(
    client: httpx.AsyncClient, url: str, script: list[tuple[str, str]], budget: list[int]
) -> int:
    """One new visitor's conversation; stops early when the message budget is spent."""
    visitor = await client.post(f"{url}/webchat/api/visitors", json={})
    visitor.raise_for_status()
    headers = {"Authorization": f"Bearer {visitor.json()['token']}"}
    sent = 0
    for language, text in script:
        if budget[0] <= 0:
            break
        budget[0] -= 1
        response = await client.post(
            f"{url}/webchat/api/messages",
            json={"text": text, "language": language},
            headers=headers,
        )
        response.raise_for_status()
        sent += 1
    return sent


async def send(url: str, messages: int, concurrency: int) -> None:
    """*messages* messages, *concurrency* conversations at a time."""
    budget = [messages]
    scripts = itertools.cycle(SCRIPTS)
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:

        async def worker() -> None:
            while budget[0] > 0:
                await converse(client, url, next(scripts), budget)

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--warm-up", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_servers(Path(tmp), ENV, with_gateway=True) as ours,
    ):
        pids = dict(ours.pids)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        started = time.monotonic()
        asyncio.run(send(ours.gateway_url, args.warm_up, args.concurrency))
        samples: list[tuple[int, dict[str, float]]] = []
        done = 0
        while done < args.messages:
            step = min(args.every, args.messages - done)
            asyncio.run(send(ours.gateway_url, step, args.concurrency))
            done += step
            rss = {role: memory_mb(pid, "VmRSS") for role, pid in pids.items()}
            samples.append((done, rss))
            shown = ", ".join(f"{r} {v:.0f} MB" for r, v in rss.items())
            print(f"after {done} messages: {shown}", file=sys.stderr, flush=True)
        wall = time.monotonic() - started
        peak = {role: memory_mb(pid, "VmHWM") for role, pid in pids.items()}
    load_after = os.getloadavg()
    print(
        f"Measured at {when} by `scripts/bench_memory.py --messages {args.messages} --every "
        f"{args.every} --warm-up {args.warm_up} --concurrency {args.concurrency}` on "
        f"{os.cpu_count()} cores, {wall / 60:.0f} min; load average {load_before[0]:.1f} "
        f"before, {load_after[0]:.1f} after (the machine is shared). RSS in MB after the "
        f"warm-up's {args.warm_up} messages and then every {args.every}.\n"
    )
    roles = list(pids)
    print("| messages | " + " | ".join(f"{r} RSS MB" for r in roles) + " |")
    print("|---" * (len(roles) + 1) + "|")
    for done, rss in samples:
        print(f"| {done} | " + " | ".join(f"{rss[r]:.0f}" for r in roles) + " |")
    first, last = samples[0][1], samples[-1][1]
    print(
        f"| growth {samples[0][0]} → {samples[-1][0]} | "
        + " | ".join(f"{100 * (last[r] - first[r]) / first[r]:+.1f}%" for r in roles)
        + " |"
    )
    print("| peak (VmHWM) | " + " | ".join(f"{peak[r]:.0f}" for r in roles) + " |")


if __name__ == "__main__":
    main()
