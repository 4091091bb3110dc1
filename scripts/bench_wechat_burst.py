"""WeChat under a burst (docs/benchmarks.md): N users push one message each at the same
moment; how many HTTP answers come back inside WeChat's 5 seconds, and how many of
those are passive replies. This checkout's gateway and REV's run side by side, each in
its own process on its own SQLite desk, against one local "Rasa" that answers one
message at a time in RASA_MS (about real Rasa's measured 27 messages/s on this machine).

    .venv/bin/python scripts/bench_wechat_burst.py REV [--users 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.server import serve  # noqa: E402
from tests.fakes.wechat import APP_ID, WeChatApi, signed, xml  # noqa: E402
from tests.fakes.wechat import TOKEN as WECHAT_TOKEN  # noqa: E402
from tests.support.processes import free_port, spawn, stop_all, wait_until_up  # noqa: E402

RASA_MS = 35
WECHAT_LIMIT = 5.0


def fake_rasa() -> tuple[Any, str]:
    """Rasa's REST webhook, one message at a time, RASA_MS each."""
    busy = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._json({"ok": True})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self.path.endswith("/webhooks/rest/webhook"):
                self._json({})  # anything else the gateway asks (a tracker event, say)
                return
            body = json.loads(raw)
            with busy:
                time.sleep(RASA_MS / 1000)  # Rasa's own work, modelled
            self._json([{"recipient_id": body["sender"], "text": f"bot: {body['message']}"}])

        def _json(self, value: Any) -> None:
            raw = json.dumps(value).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return serve(Handler)


async def burst(url: str, users: int, tag: str) -> dict[str, float]:
    """*users* pushes at once; answers inside 5 s, passive replies, late answers.

    aiohttp, not httpx: httpx's pool costs seconds of client CPU at 100 fresh
    connections on this machine, which would be counted against the gateway."""
    connector = aiohttp.TCPConnector(limit=users + 10, force_close=True)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:

        async def push(index: int) -> tuple[float, str]:
            timestamp, nonce = str(int(time.time())), f"{tag}{index}"
            params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
            msg_id = zlib.crc32(f"{tag}:{index}".encode())  # new in every burst: no duplicates
            body = xml("text", msg_id, openid=f"o{tag}{index}", Content=f"q{index}")
            started = time.perf_counter()
            async with client.post(f"{url}/wechat", params=params, data=body.encode()) as response:
                text = await response.text()
            return time.perf_counter() - started, text

        results = await asyncio.gather(*(push(i) for i in range(users)))
    inside = [text for took, text in results if took <= WECHAT_LIMIT]
    return {
        "inside": len(inside),
        "passive": sum(text.startswith("<xml>") for text in inside),
        "late": users - len(inside),
        "max": max(took for took, _ in results),
    }


def gateway(tree: Path, workdir: Path, rasa: str, api: str) -> Any:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "DATABASE_URL": f"sqlite:///{workdir / 'desk.db'}",
        "DESK_RASA_URL": rasa,
        "DESK_SECRET": "bench-secret-bench-secret-bench-secret",
        "DESK_AGENT_HOURS": "00:00-24:00",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "bench-app-secret",
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_API_BASE": api,
        "REDIS_URL": "",
    }
    command = [sys.executable, "-m", "gateway", "--port", str(port)]
    process = spawn("gateway", command, port, env, workdir / "gateway.log", cwd=tree)
    wait_until_up(process, "/health")
    return process


def fakes(urls: Any) -> None:
    """Rasa and the WeChat API in a process of their own: in the measuring process,
    their threads would slow the client down and inflate its timings."""
    _, rasa = fake_rasa()
    api = WeChatApi()
    urls.send((rasa, api.url))
    urls.recv()  # until the benchmark is done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev", help="the revision to compare with, e.g. 6dd3868")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    helper = multiprocessing.Process(target=fakes, args=(theirs,), daemon=True)
    helper.start()
    rasa, api = ours.recv()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.rev], check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        trees = {"after": ROOT, f"before ({args.rev})": base}
        processes = {}
        for name, tree in trees.items():
            workdir = Path(tmp) / name.split()[0]
            workdir.mkdir()
            processes[name] = gateway(tree, workdir, rasa, api)
        try:
            for name in trees:  # warm: first requests import and compile lazily
                asyncio.run(burst(processes[name].url, 5, f"warm{name[0]}"))
            time.sleep(3)
            results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
            for run in range(args.runs):
                for name in sorted(trees, reverse=run % 2 == 1):  # alternate the order
                    tag = f"r{run}{name[0]}"
                    results[name].append(asyncio.run(burst(processes[name].url, args.users, tag)))
                    time.sleep(6)  # the late customer-service sends finish between bursts
        finally:
            stop_all(processes.values())
            ours.send("done")
            helper.join(10)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"{args.users} simultaneous pushes, {args.runs} runs each, medians; {stamp}\n")
    print("| gateway | answered inside 5 s | passive replies | answered after 5 s | slowest s |")
    print("|---|---|---|---|---|")
    for name, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"| {name} | {med['inside']:.0f} | {med['passive']:.0f} | {med['late']:.0f} "
            f"| {med['max']:.2f} |"
        )
    print("\nper run:", json.dumps(results))


if __name__ == "__main__":
    main()
