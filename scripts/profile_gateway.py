"""The gateway's own CPU per web chat turn, on the production profile, with a profile.

A gateway process (``python -m gateway``) on a fresh PostgreSQL database and Redis, in
front of a fake Rasa (``tests/fakes/rasa.py``: answers at once, in this process, so none
of Rasa's work is counted). Web chat turns go one at a time over seven conversations,
as in ``scripts/bench_revisions.py``. Reports the gateway's CPU milliseconds per turn
(user + system, from ``/proc/<pid>/stat``) and the turn's wall time. With ``--revision
REV``, REV's gateway (a ``git archive`` of it) runs beside this checkout's, each on its
own database, the turns alternating between them (the order rotating), so both are
measured in one run under the same load.

With ``--flamegraph DIR`` (or ``--raw DIR``) py-spy records each gateway over the
measured turns, only the thread holding the GIL (``--gil``: the process's Python CPU;
``--wall`` samples every thread, waiting or not): ``DIR/gateway-this.svg`` and
``DIR/gateway-REV.svg`` (``.txt``: collapsed stacks, for reading).

    .venv/bin/python scripts/profile_gateway.py [--turns 300] [--revision REV]
        [--flamegraph DIR | --raw DIR] [--wall]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import cast

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_gateway import QUESTIONS, pct
from scripts.bench_revisions import archive
from tests.fakes.rasa import RasaServer
from tests.support import ROOT
from tests.support.processes import BIN, free_port, spawn, wait_until_up
from tests.support.services import LOOPBACK_LIMITS, REDIS_URL, fresh_database

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds *pid* has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


@contextlib.contextmanager
def gateway(tree: Path, database_url: str, rasa_url: str, work: Path) -> Iterator[tuple[str, int]]:
    """*tree*'s gateway process on *database_url* and Redis: its URL and process id."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DESK_RASA_URL": rasa_url,
        "DESK_SECRET": "profile-secret-that-is-at-least-32-bytes",
        "DESK_AGENT_HOURS": "00:00-24:00",
        **LOOPBACK_LIMITS,
        # Counted all the same (one Redis round trip): only the limit is out of reach.
        "DESK_LIMIT_MESSAGES_PER_VISITOR": "1000000/minute",
    }
    command = [sys.executable, "-m", "gateway", "--port", str(port), "--actions-url", ""]
    process = spawn("gateway", command, port, env, work / "gateway.log", cwd=tree)
    try:
        wait_until_up(process, "/health")
        yield process.url, process.popen.pid
    finally:
        process.stop()


async def turn(client: httpx.AsyncClient, url: str, token: str, i: int) -> float:
    """Web chat turn *i* on *url*, as *token*'s visitor: its wall time in ms."""
    language, question = QUESTIONS[i % len(QUESTIONS)]
    started = time.perf_counter()
    response = await client.post(
        f"{url}/webchat/api/messages",
        json={"text": question, "language": language},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return (time.perf_counter() - started) * 1000


async def visitors(client: httpx.AsyncClient, url: str, count: int = 7) -> list[str]:
    return [
        (await client.post(f"{url}/webchat/api/visitors", json={})).json()["token"]
        for _ in range(count)
    ]


@dataclass
class Side:
    """One gateway under test: where it answers, its process, what it was measured at."""

    url: str
    pid: int
    tokens: list[str] = field(default_factory=list)
    took: list[float] = field(default_factory=list)
    cpu: float = 0.0  # seconds over the measured turns


async def drive(sides: dict[str, Side], count: int, measured: bool) -> None:
    """*count* turns on every side, one at a time, the side going first rotating."""
    names = list(sides)
    async with httpx.AsyncClient(timeout=60) as client:
        for side in sides.values():
            if not side.tokens:
                side.tokens = await visitors(client, side.url)
        for i in range(count):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                side = sides[name]
                took = await turn(client, side.url, side.tokens[i % len(side.tokens)], i)
                if measured:
                    side.took.append(took)


def spy(pid: int, form: str, path: Path, rate: int, wall: bool) -> subprocess.Popen[bytes]:
    """py-spy recording *pid* into *path* until it gets SIGINT."""
    command = [str(BIN / "py-spy"), "record", "--pid", str(pid), "--rate", str(rate)]
    command += ["--format", form, "--output", str(path), "--idle" if wall else "--gil"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def profile(
    trees: dict[str, Path], count: int, output: tuple[str, Path] | None, rate: int, wall: bool
) -> dict[str, Side]:
    """Each tree's gateway measured over *count* turns, after a warm-up of 30."""
    rasa = RasaServer()
    # Rasa (Sanic) keeps connections alive; the fake's default HTTP/1.0 would make the
    # gateway open a TCP connection per turn, which it never does against Rasa.
    # (Its headers and body go out in two writes: without TCP_NODELAY, Nagle holds the
    # body back for the client's delayed ACK, 40 ms a turn.)
    handler = cast(type[BaseHTTPRequestHandler], rasa.server.RequestHandlerClass)
    handler.protocol_version = "HTTP/1.1"
    handler.disable_nagle_algorithm = True
    try:
        with contextlib.ExitStack() as stack:
            sides: dict[str, Side] = {}
            for name, tree in trees.items():
                work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                database = stack.enter_context(fresh_database())
                sides[name] = Side(*stack.enter_context(gateway(tree, database, rasa.url, work)))
            asyncio.run(drive(sides, 30, measured=False))  # warm caches and pools
            spies = []
            if output is not None:
                form, folder = output
                suffix = "svg" if form == "flamegraph" else "txt"
                for name, side in sides.items():
                    path = folder / f"gateway-{name}.{suffix}"
                    spies.append(spy(side.pid, form, path, rate, wall))
                time.sleep(1.5)  # attached before the first measured turn
            started = {name: cpu_seconds(side.pid) for name, side in sides.items()}
            asyncio.run(drive(sides, count, measured=True))
            for name, side in sides.items():
                side.cpu = cpu_seconds(side.pid) - started[name]
            for each in spies:
                each.send_signal(signal.SIGINT)  # py-spy writes its output and exits
                each.wait(60)
            return sides
    finally:
        rasa.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--revision", help="measure this revision's gateway beside this one")
    parser.add_argument("--flamegraph", type=Path, help="a folder for py-spy's SVGs")
    parser.add_argument("--raw", type=Path, help="a folder for py-spy's collapsed stacks")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--wall", action="store_true", help="sample waiting threads too")
    args = parser.parse_args()
    output = None
    if args.flamegraph or args.raw:
        form = "flamegraph" if args.flamegraph else "raw"
        output = (form, (args.flamegraph or args.raw).resolve())
        output[1].mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this": ROOT}
        if args.revision:
            trees[args.revision] = archive(args.revision, Path(tmp))
        sides = profile(trees, args.turns, output, args.rate, args.wall)
    flags = f" --revision {args.revision}" if args.revision else ""
    print(f"Measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
          f"`scripts/profile_gateway.py --turns {args.turns}{flags}`, load average "
          f"{load:.1f} before and {os.getloadavg()[0]:.1f} after; Rasa faked.\n")  # fmt: skip
    print("| gateway | CPU ms per turn | turn p50 ms | turn p95 ms |\n|---|---|---|---|")
    for name, side in sides.items():
        label = "this checkout" if name == "this" else f"revision {name}"
        cpu = side.cpu * 1000 / len(side.took)
        print(f"| {label} | {cpu:.2f} | {statistics.median(side.took):.2f} | "
              f"{pct(side.took, 0.95):.2f} |")  # fmt: skip
    if args.revision:
        this, that = sides["this"], sides[args.revision]
        print(f"\nCPU per turn, this / {args.revision}: **{this.cpu / that.cpu:.3f}×**")


if __name__ == "__main__":
    main()
