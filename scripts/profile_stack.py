"""Where Rasa's and the action server's CPU goes on a web chat FAQ turn: py-spy profiles.

A whole stack as ``make run`` runs it (embedded profile: SQLite; MiniLM on one thread),
web chat turns through the gateway one at a time over seven conversations, the FAQ
questions of ``scripts/bench_throughput.py`` in zh/en/es. After 30 turns of warm-up,
py-spy records the Rasa and action server processes (every thread that is running, not
only the one holding the GIL: TensorFlow and torch work outside it) over the measured
turns. Writes ``DIR/rasa.svg`` and ``DIR/actions.svg`` (flame graphs) and prints, per
process, its CPU milliseconds per turn (``/proc``) and the share of its samples in the
frames that cost the most, for ``docs/benchmarks.md``.

    .venv/bin/python scripts/profile_stack.py [--turns 300] [--flamegraph docs/perf]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_throughput import ask, cpu_seconds
from tests.support.processes import BIN
from tests.support.servers import running_servers

ENV = {"DESK_LIMIT_MESSAGES_PER_VISITOR": "1000000/minute", "KB_TORCH_THREADS": "1"}
CONVERSATIONS = 7
ROLES = ("rasa", "actions")
IDLE = "runners.py:serve"


def spy(pid: int, form: str, path: Path, rate: int) -> subprocess.Popen[bytes]:
    """py-spy recording *pid* into *path* until it gets SIGINT; ``--nonblocking`` so that
    two recorders (an SVG and collapsed stacks) never pause the process."""
    command = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--rate", str(rate)]
    command += ["--format", form, "--output", str(path), "--nonblocking", "--subprocesses"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


async def drive(url: str, turns: int, first: int) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        tokens = []
        for _ in range(CONVERSATIONS):
            visitor = await client.post(f"{url}/webchat/api/visitors", json={})
            tokens.append(visitor.json()["token"])
        for i in range(first, first + turns):
            await ask(client, url, True, tokens[i % CONVERSATIONS], i)


def frame_name(frame: str) -> str:
    """``function (path/to/module.py:12)`` as ``module.py:function``."""
    function, _, where = frame.partition(" (")
    return f"{Path(where.split(':')[0]).name}:{function}"


def top_frames(raw: Path, count: int) -> tuple[int, int, list[tuple[str, float]]]:
    """The frames found in the most busy samples (a frame counts once per stack), as
    shares of the busy samples; with the samples in all and the busy ones. py-spy
    can't tell that Sanic's loop is waiting inside uvloop (C): a sample whose innermost
    frame is the server's ``serve`` is the process idle, and left out. Frames in nearly
    every busy sample (the server's own call chain) are left out too."""
    samples = busy = 0
    seen: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, weight = line.rpartition(" ")
        if not weight.isdigit():
            continue
        samples += int(weight)
        frames = stack.split(";")[1:]  # the first is the process and thread
        if not frames or frame_name(frames[-1]) == IDLE:
            continue
        busy += int(weight)
        for name in {frame_name(frame) for frame in frames}:
            seen[name] += int(weight)
    shares = [(name, 100 * n / max(busy, 1)) for name, n in seen.most_common()]
    return samples, busy, [(name, share) for name, share in shares if share < 95][:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--flamegraph", type=Path, default=Path("docs/perf"))
    parser.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=45, help="frames to list per process")
    parser.add_argument("--raw", type=Path, help="also keep the collapsed stacks here")
    args = parser.parse_args()
    args.flamegraph.mkdir(parents=True, exist_ok=True)
    if args.raw:
        args.raw.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with running_servers(work, ENV, with_gateway=True) as servers:
            asyncio.run(drive(servers.gateway_url, 30, 0))  # warm caches and pools
            spies = []
            for role in ROLES:
                pid = servers.pids[role]
                spies.append(spy(pid, "flamegraph", args.flamegraph / f"{role}.svg", args.rate))
                spies.append(spy(pid, "raw", (args.raw or work) / f"{role}.txt", args.rate))
            time.sleep(2)  # attached before the first measured turn
            started = {role: cpu_seconds(servers.pids[role]) for role in ROLES}
            asyncio.run(drive(servers.gateway_url, args.turns, 30))
            used = {role: cpu_seconds(servers.pids[role]) - started[role] for role in ROLES}
            for each in spies:
                each.send_signal(signal.SIGINT)  # py-spy writes its output and exits
                each.wait(120)
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        print(
            f"Measured at {when} with `scripts/profile_stack.py --turns {args.turns}`, load "
            f"average {load:.1f} before and {os.getloadavg()[0]:.1f} after (2 cores); the "
            "CPU figures include py-spy's own cost to the process.\n"
        )
        for role in ROLES:
            samples, busy, frames = top_frames((args.raw or work) / f"{role}.txt", args.top)
            print(
                f"### {role}: {1000 * used[role] / args.turns:.1f} CPU ms per turn; "
                f"{busy} busy samples of {samples}\n"
            )
            print("| frame | share of the busy samples |\n|---|---:|")
            for name, share in frames:
                print(f"| `{name}` | {share:.1f}% |")
            print()


if __name__ == "__main__":
    main()
