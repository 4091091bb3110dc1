"""The FAQ round trip through this checkout's gateway and through another revision's,
side by side against one Rasa and action server, turn by turn, in one run.

For changes that must not cost time (a restructure, say). Prints Markdown.

    .venv/bin/python scripts/bench_revisions.py REV [--turns 300]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_gateway import QUESTIONS, pct
from tests.support import ROOT
from tests.support.processes import free_port, spawn, wait_until_up
from tests.support.servers import running_servers


def export(revision: str, into: Path) -> Path:
    """The files of *revision*, as ``git archive`` gives them."""
    data = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revision")
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        other = export(args.revision, work / "other")
        with running_servers(work, with_gateway=True) as servers:
            assert servers.env is not None
            port = free_port()
            env = {
                **servers.env,
                "PYTHONPATH": str(other),
                "DATABASE_URL": f"sqlite:///{work / 'other-desk.db'}",
            }
            process = spawn(
                "gateway",
                [sys.executable, "-m", "gateway", "--port", str(port)],
                port,
                env,
                work / "other-gateway.log",
                cwd=other,
            )
            try:
                wait_until_up(process, "/health")
                urls = {"this": servers.gateway_url, args.revision: f"http://127.0.0.1:{port}"}
                took = asyncio.run(round_trips(urls, servers.rasa_url, args.turns))
            finally:
                process.stop()
    print(f"Measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.uname()[1]}")
    print(f"with `scripts/bench_revisions.py {args.revision} --turns {args.turns}`.\n")
    print("| path | p50 ms | p95 ms |\n|---|---|---|")
    for name, values in took.items():
        label = {"this": "this checkout's gateway", "direct": "Rasa REST, direct"}.get(
            name, f"gateway at {name}"
        )
        print(f"| {label} | {statistics.median(values):.1f} | {pct(values, 0.95):.1f} |")
    ratio = statistics.median(took["this"]) / statistics.median(took[args.revision])
    print(f"\nRatio of medians, this checkout / {args.revision}: **{ratio:.3f}×**")


if __name__ == "__main__":
    main()
