"""The gateway's own CPU per web chat turn, on the production profile, with a profile.

One gateway process (``python -m gateway``) on a fresh PostgreSQL database and Redis,
in front of a fake Rasa (``tests/fakes/rasa.py``: answers at once, in another process's
thread, so none of Rasa's work is counted). Web chat turns go one at a time over seven
conversations, as in ``scripts/bench_revisions.py``. Reports the gateway's CPU
milliseconds per turn (user + system, from ``/proc/<pid>/stat``) and the turn's wall
time; with ``--flamegraph`` (or ``--raw``) py-spy records the measured turns.

    .venv/bin/python scripts/profile_gateway.py [--turns 300] [--flamegraph docs/perf/x.svg]
        [--raw stacks.txt] [--revision REV]

``--revision`` runs another revision's gateway (a ``git archive`` of it) instead of this
checkout's, for a before/after on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

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


async def turns(url: str, count: int, tokens: list[str], start: int = 0) -> list[float]:
    """*count* web chat turns, one at a time, over *tokens*' conversations: ms each."""
    took: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        for i in range(start, start + count):
            language, question = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            response = await client.post(
                f"{url}/webchat/api/messages",
                json={"text": question, "language": language},
                headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            )
            assert response.status_code == 200, response.text
            took.append((time.perf_counter() - started) * 1000)
    return took


async def visitors(url: str, count: int = 7) -> list[str]:
    async with httpx.AsyncClient(timeout=60) as client:
        return [
            (await client.post(f"{url}/webchat/api/visitors", json={})).json()["token"]
            for _ in range(count)
        ]


def profile(
    tree: Path, count: int, output: tuple[str, Path] | None, rate: int
) -> tuple[float, list[float]]:
    """CPU ms per turn and the turns' wall times, over *count* turns after a warm-up."""
    rasa = RasaServer()
    # Rasa (Sanic) keeps connections alive; the fake's default HTTP/1.0 would make the
    # gateway open a TCP connection per turn, which it never does against Rasa.
    # (Its headers and body go out in two writes: without TCP_NODELAY, Nagle holds the
    # body back for the client's delayed ACK, 40 ms a turn.)
    rasa.server.RequestHandlerClass.protocol_version = "HTTP/1.1"
    rasa.server.RequestHandlerClass.disable_nagle_algorithm = True
    try:
        with contextlib.ExitStack() as stack:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            database = stack.enter_context(fresh_database())
            url, pid = stack.enter_context(gateway(tree, database, rasa.url, work))
            tokens = asyncio.run(visitors(url))
            asyncio.run(turns(url, 30, tokens))  # warm caches and pools
            spy = None
            if output is not None:
                form, path = output
                spy = subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--pid", str(pid), "--rate", str(rate),
                     "--format", form, "--output", str(path), "--gil"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                )  # fmt: skip
                time.sleep(1.5)  # attached before the first measured turn
            before = cpu_seconds(pid)
            took = asyncio.run(turns(url, count, tokens, start=30))
            used = cpu_seconds(pid) - before
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
                spy.wait(60)
            return used * 1000 / count, took
    finally:
        rasa.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--flamegraph", type=Path)
    parser.add_argument("--raw", type=Path, help="py-spy's collapsed stacks, for reading")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--revision", help="profile this revision's gateway instead")
    args = parser.parse_args()
    output = None
    if args.flamegraph:
        output = ("flamegraph", args.flamegraph.resolve())
    elif args.raw:
        output = ("raw", args.raw.resolve())
    with tempfile.TemporaryDirectory() as tmp:
        tree = archive(args.revision, Path(tmp)) if args.revision else ROOT
        cpu, took = profile(tree, args.turns, output, args.rate)
    name = args.revision or "this checkout"
    print(f"Measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {name}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"gateway CPU per turn: {cpu:.2f} ms; turn p50 {statistics.median(took):.2f} ms, "
          f"p95 {pct(took, 0.95):.2f} ms ({len(took)} turns, Rasa faked)")  # fmt: skip


if __name__ == "__main__":
    main()
