"""The Telegram webhook's response time with many busy chats (docs/benchmarks.md).

One gateway process (``scripts/serve.sh gateway``) over PostgreSQL and Redis, with
Telegram played by :mod:`tests.fakes.telegram` and **Rasa played by a fake** that
takes ``--rasa-seconds`` per turn (answering in parallel, as several busy Rasa
workers would): this measures what Telegram waits for, not the bot. Every chat
sends its next update once the webhook has answered the previous one, as
Telegram does for one chat. Prints Markdown.

    .venv/bin/python scripts/bench_telegram_webhook.py [--chats 50] [--messages 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes import telegram as tg
from tests.fakes.server import serve
from tests.support.cluster import SECRET, Cluster
from tests.support.processes import BIN
from tests.support.services import LOOPBACK_LIMITS, REDIS_URL, fresh_database


class TimedApi(tg.BotApi):
    """The fake Bot API, noting when each text was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: dict[str, float] = {}

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method == "sendMessage":
            self.sent_at.setdefault(str(params.get("text", "")), time.perf_counter())
        return super().answer(method, params)


def slow_rasa(seconds: float) -> tuple[Any, str]:
    """Rasa's REST channel, answering "bot: <text>" after *seconds*, in parallel."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._send(b'{"status": "ok"}')

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            time.sleep(seconds)
            reply = [{"recipient_id": body["sender"], "text": f"bot: {body['message']}"}]
            self._send(json.dumps(reply).encode())

        def _send(self, raw: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return serve(Handler)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def load(gateway: str, api: TimedApi, chats: int, messages: int) -> list[str]:
    latencies: list[float] = []
    posted: dict[str, float] = {}
    statuses: list[int] = []

    async def chat(index: int, client: httpx.AsyncClient) -> None:
        for turn in range(messages):
            text = f"question {index}-{turn}"
            body = tg.message(text, message_id=turn + 1, chat=800_000 + index, language="en")
            payload = tg.update(2_000_000 + index * 100 + turn, message=body)
            headers = {"X-Telegram-Bot-Api-Secret-Token": tg.SECRET}
            started = time.perf_counter()
            posted[f"bot: {text}"] = started
            response = await client.post(
                f"{gateway}/telegram/webhook", json=payload, headers=headers
            )
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)

    limits = httpx.Limits(max_connections=chats + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(chat(i, client) for i in range(chats)))
        deadline = time.monotonic() + 120  # the answers of the last updates still running
        while len(set(posted) & set(api.sent_at)) < len(posted) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        wall = time.perf_counter() - started
    answered = [(api.sent_at[t] - posted[t]) * 1000 for t in posted if t in api.sent_at]
    total = chats * messages
    return [
        "| measure | value |",
        "|---|---|",
        f"| chats at once | {chats}, {messages} updates each (the next once the last got "
        "its 200) |",
        f"| webhook response p50 / p95 / max | {statistics.median(latencies):.0f} / "
        f"**{pct(latencies, 0.95):.0f}** / {max(latencies):.0f} ms |",
        f"| update to its reply's sendMessage p50 / p95 | {statistics.median(answered):.0f} / "
        f"{pct(answered, 0.95):.0f} ms |",
        f"| updates answered | {len(answered)} of {total} (non-200: "
        f"{sum(s != 200 for s in statuses)}) |",
        f"| all updates answered in | {wall:.1f} s |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--rasa-seconds", type=float, default=1.0)
    args = parser.parse_args()
    api = TimedApi()
    rasa, rasa_url = slow_rasa(args.rasa_seconds)
    try:
        with fresh_database() as database_url, tempfile.TemporaryDirectory() as workdir:
            env = {
                **os.environ,
                "BIN": str(BIN),
                "DATABASE_URL": database_url,
                "REDIS_URL": REDIS_URL,
                "DESK_RASA_URL": rasa_url,
                "DESK_RASA_TIMEOUT_SECONDS": "120",
                "ACTIONS_URL": "",
                "DESK_SECRET": SECRET,
                "TELEGRAM_TOKEN": tg.TOKEN,
                "TELEGRAM_WEBHOOK_SECRET": tg.SECRET,
                "TELEGRAM_BASE_URL": f"{api.url}/bot",
                "TELEGRAM_BASE_FILE_URL": f"{api.url}/file/bot",
                **LOOPBACK_LIMITS,
            }
            group = Cluster(env, Path(workdir))
            try:
                if group.start("migrate").popen.wait(timeout=120) != 0:
                    raise SystemExit("migrate failed")
                gateway = group.start("gateway")
                group.wait(gateway)
                when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                out = [
                    f"Measured by `scripts/bench_telegram_webhook.py` at {when}; fake Rasa "
                    f"taking {args.rasa_seconds:.1f} s a turn.",
                    "",
                ]
                out += asyncio.run(load(gateway.url, api, args.chats, args.messages))
            finally:
                group.stop()
    finally:
        api.close()
        rasa.shutdown()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
