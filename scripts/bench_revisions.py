"""The FAQ round trip of this checkout beside another revision's, in one run.

By default only the gateways differ: this checkout's and REV's, side by side against
one Rasa and action server (for changes to the gateway, such as a restructure). With
``--whole-stack`` each side runs its own Rasa, action server and gateway (for changes
to the bot itself: its model, actions or decision), and the CPU each side's processes
spent per message is printed too (``/proc``; this side's Rasa and action server also
answer the direct path's messages). Each question goes to every path
in turn, the order rotating every turn. With ``--production`` each gateway has a
PostgreSQL database of its own and Redis (the production profile); otherwise SQLite.
Prints Markdown.

    .venv/bin/python scripts/bench_revisions.py REV [--turns 300] [--whole-stack] [--production]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_gateway import QUESTIONS, pct
from scripts.bench_throughput import cpu_seconds
from tests.support import ROOT
from tests.support.processes import free_port, spawn, wait_until_up
from tests.support.servers import Servers, running_servers
from tests.support.services import REDIS_URL, fresh_database


def archive(revision: str, into: Path) -> Path:
    """The files of *revision*, as ``git archive`` gives them, under *into*."""
    data = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as files:
        files.extractall(into, filter="data")
    return into


def export(revision: str, into: Path) -> Path:
    """The files of *revision*, with its KB index built."""
    archive(revision, into)
    env = {**os.environ, "PYTHONPATH": str(into)}
    subprocess.run([sys.executable, "-m", "faq_kb", "build"], cwd=into, env=env, check=True)
    return into


@contextlib.contextmanager
def gateway_of(
    tree: Path, servers: Servers, work: Path, database_url: str | None = None
) -> Iterator[str]:
    """*tree*'s gateway in front of *servers*' Rasa."""
    assert servers.env is not None
    port = free_port()
    env = {
        **servers.env,
        "PYTHONPATH": str(tree),
        "DATABASE_URL": database_url or f"sqlite:///{work / 'other-desk.db'}",
    }
    command = [sys.executable, "-m", "gateway", "--port", str(port)]
    process = spawn("gateway", command, port, env, work / "other-gateway.log", cwd=tree)
    try:
        wait_until_up(process, "/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


async def round_trips(urls: dict[str, str], rasa_url: str, turns: int) -> dict[str, list[float]]:
    """Milliseconds per turn on each path; the paths take turns going first."""
    took: dict[str, list[float]] = {name: [] for name in [*urls, "direct"]}
    async with httpx.AsyncClient(timeout=60) as client:
        tokens: dict[str, list[str]] = {name: [] for name in urls}
        for name, url in urls.items():
            for _ in range(7):  # seven conversations per path, as in bench_gateway.py
                visitor = await client.post(f"{url}/webchat/api/visitors", json={})
                tokens[name].append(visitor.json()["token"])
        paths = [*urls, "direct"]
        for i in range(turns + 10):
            language, question = QUESTIONS[i % len(QUESTIONS)]
            for name in paths[i % len(paths) :] + paths[: i % len(paths)]:
                started = time.perf_counter()
                if name == "direct":
                    body = {"sender": f"direct-{i % 7}", "message": question}
                    response = await client.post(
                        f"{rasa_url}/webhooks/rest/webhook",
                        json={**body, "metadata": {"language": language}},
                    )
                else:
                    response = await client.post(
                        f"{urls[name]}/webchat/api/messages",
                        json={"text": question, "language": language},
                        headers={"Authorization": f"Bearer {tokens[name][i % 7]}"},
                    )
                assert response.status_code == 200, (name, response.text)
                if i >= 10:  # the first turns warm caches
                    took[name].append((time.perf_counter() - started) * 1000)
    return took


CPU: dict[str, float] = {}  # "<side> <role>" -> CPU ms per message (--whole-stack)


def cpu_per_message(sides: dict[str, Servers], turns: int, run: Any) -> Any:
    """Run *run*, noting each process's CPU ms per message it handled into CPU."""
    pids = {f"{side} {role}": pid for side, s in sides.items() for role, pid in s.pids.items()}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    result = run()
    for name, pid in pids.items():
        # Everything after the first (warm-up) turns; this side's Rasa also took "direct".
        handled = turns + 10
        if name.startswith("this ") and not name.endswith("gateway"):
            handled *= 2
        CPU[name] = (cpu_seconds(pid) - before[name]) * 1000 / handled
    return result


def measure(
    revision: str, turns: int, whole: bool, production: bool = False
) -> dict[str, list[float]]:
    with contextlib.ExitStack() as stack:
        if not production:
            return _measure(revision, turns, whole)
        this_db, that_db = (stack.enter_context(fresh_database()) for _ in range(2))
        return _measure(revision, turns, whole, {"REDIS_URL": REDIS_URL}, this_db, that_db)
    raise AssertionError("unreachable")


def _measure(
    revision: str,
    turns: int,
    whole: bool,
    env: dict[str, str] | None = None,
    this_db: str | None = None,
    that_db: str | None = None,
) -> dict[str, list[float]]:
    this_env = {**(env or {}), **({"DATABASE_URL": this_db} if this_db else {})}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        other = export(revision, work / "other")
        (work / "this").mkdir()
        with running_servers(work / "this", this_env, with_gateway=True) as this:
            if whole:
                (work / "that").mkdir()
                with running_servers(work / "that", with_gateway=True, tree=other) as that:
                    urls = {"this": this.gateway_url, revision: that.gateway_url}
                    return cpu_per_message(  # type: ignore[no-any-return]
                        {"this": this, revision: that},
                        turns,
                        lambda: asyncio.run(round_trips(urls, this.rasa_url, turns)),
                    )
            with gateway_of(other, this, work, that_db) as that_gateway:
                urls = {"this": this.gateway_url, revision: that_gateway}
                return asyncio.run(round_trips(urls, this.rasa_url, turns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revision")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--whole-stack", action="store_true")
    parser.add_argument("--production", action="store_true")
    args = parser.parse_args()
    took = measure(args.revision, args.turns, args.whole_stack, args.production)
    flags = " --whole-stack" if args.whole_stack else ""
    flags += " --production" if args.production else ""
    print(f"Measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.uname()[1]}")
    print(f"with `scripts/bench_revisions.py {args.revision} --turns {args.turns}{flags}`.\n")
    print("| path | p50 ms | p95 ms |\n|---|---|---|")
    for name, values in took.items():
        label = {"this": "this checkout", "direct": "this checkout's Rasa REST, direct"}.get(
            name, f"revision {name}"
        )
        print(f"| {label} | {statistics.median(values):.1f} | {pct(values, 0.95):.1f} |")
    ratio = statistics.median(took["this"]) / statistics.median(took[args.revision])
    difference = statistics.median(took["this"]) - statistics.median(took[args.revision])
    print(f"\nThis checkout / {args.revision}, medians: **{ratio:.3f}×** ({difference:+.1f} ms)")
    if CPU:
        print("\n| process | CPU ms per message |\n|---|---|")
        for name, ms in CPU.items():
            print(f"| {name} | {ms:.1f} |")


if __name__ == "__main__":
    main()
