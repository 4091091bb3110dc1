"""Channel benchmarks (docs/benchmarks.md): Telegram webhook throughput, and WeChat's
passive replies inside its 5 seconds. Real Rasa, action server and gateway; the platform
APIs are played by local HTTP servers. Prints Markdown.

    .venv/bin/python scripts/bench_channels.py [--chats 50] [--messages 4]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.telegram import SECRET, TOKEN, BotApi, message, update
from tests.fakes.wechat import APP_ID, WeChatApi, signed, xml
from tests.fakes.wechat import TOKEN as WECHAT_TOKEN
from tests.support.servers import running_servers

QUESTIONS = [
    "what are your support hours?",
    "how do I back up my wallet?",
    "客服电话是多少",
    "¿cómo hago una copia de seguridad?",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def telegram_load(gateway: str, api: BotApi, chats: int, messages: int) -> list[str]:
    """*chats* users at once, each sending *messages* updates; every update delivered twice."""
    latencies: list[float] = []
    statuses: list[int] = []
    duplicates = 0

    async def chat(index: int, client: httpx.AsyncClient) -> None:
        nonlocal duplicates
        chat_id = 900_000 + index
        for turn in range(messages):
            update_id = 1_000_000 + index * 100 + turn
            body = message(QUESTIONS[(index + turn) % len(QUESTIONS)], message_id=turn + 1)
            body["chat"]["id"] = body["from"]["id"] = chat_id
            payload = update(update_id, message=body)
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            started = time.perf_counter()
            response = await client.post(
                f"{gateway}/telegram/webhook", json=payload, headers=headers
            )
            latencies.append((time.perf_counter() - started) * 1000)
            statuses.append(response.status_code)
            # Telegram's retry of the same update: must be a no-op.
            again = await client.post(f"{gateway}/telegram/webhook", json=payload, headers=headers)
            duplicates += bool(again.json().get("duplicate"))

    limits = httpx.Limits(max_connections=chats + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(chat(i, client) for i in range(chats)))
        wall = time.perf_counter() - started
    total = chats * messages
    replied_chats = {int(p["chat_id"]) for m, p in api.calls if m == "sendMessage"}
    return [
        "| measure | value |",
        "|---|---|",
        f"| chats at once | {chats}, {messages} updates each, each update delivered twice |",
        f"| webhook throughput (new updates) | **{total / wall:.1f} updates/s** "
        f"({total} in {wall:.1f} s) |",
        f"| webhook latency p50 / p95 (bot reply included) | {statistics.median(latencies):.0f}"
        f" / {pct(latencies, 0.95):.0f} ms |",
        f"| non-200 answers | {sum(s != 200 for s in statuses)} |",
        f"| redeliveries recognised as duplicates | {duplicates} of {total} |",
        f"| chats that got replies via sendMessage | {len(replied_chats)} of {chats} |",
    ]


async def wechat_load(gateway: str, api: WeChatApi, users: int, rounds: int) -> list[str]:
    """*users* WeChat users at once, *rounds* messages each, plain mode."""
    latencies: list[float] = []
    passive = fallback = errors = 0

    async def one(index: int, client: httpx.AsyncClient) -> None:
        nonlocal passive, fallback, errors
        for turn in range(rounds):
            body = xml(
                "text",
                5_000_000 + index * 100 + turn,
                Content=QUESTIONS[(index + turn) % len(QUESTIONS)],
            )
            body = body.replace("oUser123", f"oBench{index}")
            timestamp, nonce = str(int(time.time())), f"n{index}x{turn}"
            params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
            started = time.perf_counter()
            response = await client.post(f"{gateway}/wechat", params=params, content=body.encode())
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                errors += 1
            elif response.text == "success":
                fallback += 1
            else:
                passive += 1

    limits = httpx.Limits(max_connections=users + 10)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(i, client) for i in range(users)))
        wall = time.perf_counter() - started
    deadline = time.monotonic() + 30  # late answers arrive as customer-service messages
    while len(api.sent) < fallback and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    total = users * rounds
    within = sum(t < 5000 for t in latencies)
    return [
        "| measure | value |",
        "|---|---|",
        f"| users at once | {users}, {rounds} messages each (plain mode) |",
        f"| HTTP answers inside WeChat's 5 s | **{within} of {total}** "
        f"(p50 {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms) |",
        f"| passive replies | {passive} of {total} ({100 * passive / total:.0f}%) |",
        f"| `success` + customer-service fallback | {fallback} ({100 * fallback / total:.0f}%);"
        f" {len(api.sent)} customer-service messages sent |",
        f"| errors | {errors} |",
        f"| throughput | {total / wall:.1f} messages/s |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--wechat-users", type=int, default=50)
    parser.add_argument("--wechat-rounds", type=int, default=2)
    args = parser.parse_args()
    api = BotApi()
    wechat_api = WeChatApi()
    env = {
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_BASE_URL": f"{api.url}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{api.url}/file/bot",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "bench-secret",
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_API_BASE": wechat_api.url,
    }
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_servers(Path(workdir), env, with_gateway=True) as servers,
        ):
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            out = [f"Measured by `scripts/bench_channels.py` at {when}.", "", "Telegram:", ""]
            out += asyncio.run(telegram_load(servers.gateway_url, api, args.chats, args.messages))
            out += ["", "WeChat:", ""]
            out += asyncio.run(
                wechat_load(servers.gateway_url, wechat_api, args.wechat_users, args.wechat_rounds)
            )
    finally:
        api.close()
        wechat_api.close()
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
