"""Our stack beside a bare ``rasa init`` bot, under the same load, in one run. Markdown.

The anchor is the bot ``rasa init --no-prompt`` makes with the installed Rasa (DIET and
TED, its in-memory tracker store, no action server), trained once and kept under
``var/bench/rasa-init``. Our stack runs as ``make run`` runs it (the embedded profile:
SQLite tracker store and desk, the action server, the gateway). Each load is sent to
the bare bot's REST channel, our Rasa's REST channel and our gateway's web chat API in
turn: ``--conversations`` at once (20 and 100), each sending ``--messages`` FAQ
questions back to back; first as new users, then the same users returning (their
conversations carry on). Per load and target: messages/s, latency p50/p95, and the CPU
each process spent per message (``/proc/PID/stat``, children included); at the end each
process's peak RSS (``VmHWM``) and its RSS before and after the load.

    .venv/bin/python scripts/bench_throughput.py [--conversations 20 100] [--messages 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_gateway import QUESTIONS, pct
from tests.support import ROOT
from tests.support.processes import BIN, Process, free_port, spawn, wait_until_up
from tests.support.servers import running_servers

BARE = ROOT / "var" / "bench" / "rasa-init"
TICKS = os.sysconf("SC_CLK_TCK")
ENV = {"DESK_LIMIT_MESSAGES_PER_VISITOR": "1000000/minute"}


def bare_model() -> Path:
    """The ``rasa init`` bot's model, trained on the first run only."""
    models = sorted((BARE / "models").glob("*.tar.gz")) if BARE.exists() else []
    if not models:
        shutil.rmtree(BARE, ignore_errors=True)
        BARE.mkdir(parents=True)
        print("training the bare rasa init bot (first run only)...", file=sys.stderr)
        subprocess.run(
            [str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(BARE)],
            cwd=BARE,
            check=True,
            capture_output=True,
        )
        models = sorted((BARE / "models").glob("*.tar.gz"))
    return models[-1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime


def memory_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Target:
    name: str
    url: str
    processes: dict[str, int]  # role -> pid
    gateway: bool = False
    users: list[str] = field(default_factory=list)


async def open_users(target: Target, client: httpx.AsyncClient, count: int) -> list[str]:
    if not target.gateway:
        return [f"bench-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    made = []
    for _ in range(count):
        response = await client.post(f"{target.url}/webchat/api/visitors", json={})
        made.append(response.json()["token"])
    return made


async def say(target: Target, client: httpx.AsyncClient, user: str, turn: int) -> float:
    return await ask(client, target.url, target.gateway, user, turn)


async def ask(client: httpx.AsyncClient, url: str, gateway: bool, user: str, turn: int) -> float:
    """Milliseconds for the *turn*-th question, through the gateway's web chat (*user* a
    visitor token) or Rasa's REST channel (*user* a sender id) at *url*."""
    language, text = QUESTIONS[turn % len(QUESTIONS)]
    started = time.perf_counter()
    if gateway:
        response = await client.post(
            f"{url}/webchat/api/messages",
            json={"text": text, "language": language},
            headers={"Authorization": f"Bearer {user}"},
        )
    else:
        response = await client.post(
            f"{url}/webhooks/rest/webhook",
            json={"sender": user, "message": text, "metadata": {"language": language}},
        )
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


async def drive(target: Target, users: list[str], messages: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=len(users) + 10)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        took: list[float] = []

        async def converse(index: int, user: str) -> None:
            for turn in range(messages):
                took.append(await say(target, client, user, index + turn))

        cpu = {role: cpu_seconds(pid) for role, pid in target.processes.items()}
        own = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(converse(i, u) for i, u in enumerate(users)))
        wall = time.perf_counter() - started
        spent = {r: cpu_seconds(p) - cpu[r] for r, p in target.processes.items()}
    count = len(took)
    return {
        "rate": count / wall,
        "p50": statistics.median(took),
        "p95": pct(took, 0.95),
        "cpu": {role: 1000 * s / count for role, s in spent.items()},
        "client": 1000 * (time.process_time() - own) / count,
        "count": count,
    }


async def run_loads(targets: list[Target], sizes: list[int], messages: int) -> list[str]:
    rows = []
    async with httpx.AsyncClient(timeout=300) as client:
        for target in targets:  # warm-up: models, caches, connection pools
            for user in await open_users(target, client, 2):
                for turn in range(3):
                    await say(target, client, user, turn)
        for size in sizes:
            users = {t.name: await open_users(t, client, size) for t in targets}
            for kind in ("new", "returning"):
                for target in targets:
                    found = await drive(target, users[target.name], messages)
                    cpu = ", ".join(f"{r} {v:.0f}" for r, v in found["cpu"].items())  # type: ignore[attr-defined]
                    total = sum(found["cpu"].values())  # type: ignore[attr-defined]
                    rows.append(
                        f"| {size} | {kind} | {target.name} | {found['count']} | "
                        f"{found['rate']:.1f} | {found['p50']:.0f} | {found['p95']:.0f} | "
                        f"{cpu} (total {total:.0f}; load generator {found['client']:.0f}) |"
                    )
                    print(rows[-1], file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, nargs="+", default=[20, 100])
    parser.add_argument("--messages", type=int, default=8)
    args = parser.parse_args()
    model = bare_model()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        port = free_port()
        bare: Process = spawn(
            "bare rasa",
            [str(BIN / "rasa"), "run", "--model", str(model), "--port", str(port)],
            port,
            {**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            work / "bare.log",
            cwd=BARE,
        )
        stack.callback(bare.stop)
        ours = stack.enter_context(running_servers(work, ENV, with_gateway=True))
        wait_until_up(bare, "/webhooks/rest/")
        pids = dict(ours.pids)
        targets = [
            Target("bare rasa init (REST)", bare.url, {"rasa": bare.popen.pid}),
            Target("our Rasa (REST)", ours.rasa_url, pids),
            Target("our gateway (web chat)", ours.gateway_url, pids, gateway=True),
        ]
        every = {f"bare {r}": p for r, p in targets[0].processes.items()} | pids
        rss_before = {name: memory_mb(pid, "VmRSS") for name, pid in every.items()}
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        rows = asyncio.run(run_loads(targets, args.conversations, args.messages))
        memory = [
            f"| {name} | {memory_mb(pid, 'VmHWM'):.0f} | {rss_before[name]:.0f} | "
            f"{memory_mb(pid, 'VmRSS'):.0f} |"
            for name, pid in every.items()
        ]
    load_after = os.getloadavg()
    print(
        f"Measured at {when} by `scripts/bench_throughput.py --conversations "
        f"{' '.join(map(str, args.conversations))} --messages {args.messages}` on "
        f"{os.cpu_count()} cores; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (the machine is shared).\n"
    )
    print(
        "| conversations | users | target | messages | messages/s | p50 ms | p95 ms | "
        "CPU ms per message, per process |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print("\n| process | peak RSS MB | RSS before the load MB | RSS after MB |\n|---|---|---|---|")
    print("\n".join(memory))


if __name__ == "__main__":
    main()
