"""Gateway benchmarks (docs/benchmarks.md): overhead against bare Rasa, a 100-conversation
load with escalations, and a loss/duplicate count. Prints Markdown.

    .venv/bin/python scripts/bench_gateway.py [--turns 200] [--conversations 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import ROOT
from tests.support.servers import running_servers

QUESTIONS = [
    ("en", "what are your support hours?"),
    ("en", "how do I back up my wallet?"),
    ("zh", "客服电话是多少"),
    ("zh", "怎么导出交易记录"),
    ("es", "¿cuál es el teléfono de soporte?"),
    ("es", "¿cómo hago una copia de seguridad?"),
]
ESCALATE = "I want to talk to a human agent"
PASSWORD = "benchmark-password"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def overhead(rasa_url: str, gateway_url: str, turns: int) -> list[str]:
    """The same FAQ turn straight to Rasa's REST channel and through the gateway, interleaved."""
    direct: list[float] = []
    gateway: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:
        # Seven conversations on each path, so both keep Rasa trackers of the same length.
        tokens = [
            (await client.post(f"{gateway_url}/webchat/api/visitors", json={})).json()["token"]
            for _ in range(7)
        ]
        for i in range(turns + 10):
            headers = {"Authorization": f"Bearer {tokens[i % 7]}"}
            language, question = QUESTIONS[i % len(QUESTIONS)]
            started = time.perf_counter()
            response = await client.post(
                f"{rasa_url}/webhooks/rest/webhook",
                json={
                    "sender": f"direct-{i % 7}",
                    "message": question,
                    "metadata": {"language": language},
                },
            )
            took = time.perf_counter() - started
            assert response.status_code == 200
            if i >= 10:
                direct.append(took * 1000)
            started = time.perf_counter()
            response = await client.post(
                f"{gateway_url}/webchat/api/messages",
                json={"text": question, "language": language},
                headers=headers,
            )
            took = time.perf_counter() - started
            assert response.status_code == 200, response.text
            if i >= 10:
                gateway.append(took * 1000)
    ratio = statistics.median(gateway) / statistics.median(direct)
    return [
        "| path | p50 ms | p95 ms |",
        "|---|---|---|",
        f"| Rasa REST channel, direct | {statistics.median(direct):.0f} | {pct(direct, 0.95):.0f} |",
        f"| through the gateway (web chat API) | {statistics.median(gateway):.0f} "
        f"| {pct(gateway, 0.95):.0f} |",
        "",
        f"Ratio of medians, gateway / direct: **{ratio:.2f}×** ({turns} turns each, interleaved).",
    ]


class User:
    def __init__(self, index: int, escalates: bool) -> None:
        self.index = index
        self.escalates = escalates
        self.token = ""
        self.latencies: list[float] = []
        self.pushed: list[dict[str, Any]] = []
        self.returned: list[int] = []
        self.sent = 0
        self.errors = 0


async def listen(user: User, ws_url: str, stop: asyncio.Event) -> None:
    async with websockets.connect(f"{ws_url}/webchat/ws") as socket:
        await socket.send(json.dumps({"type": "auth", "token": user.token}))
        await socket.recv()  # "ready"
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=0.5)
            except asyncio.TimeoutError:
                continue
            user.pushed.append(json.loads(raw)["message"])


async def converse(user: User, client: httpx.AsyncClient, url: str, messages: int) -> None:
    headers = {"Authorization": f"Bearer {user.token}"}
    for turn in range(messages):
        if user.escalates and turn == 1:
            text, language = ESCALATE, "en"
        else:
            language, text = QUESTIONS[(user.index + turn) % len(QUESTIONS)]
        started = time.perf_counter()
        response = await client.post(
            f"{url}/webchat/api/messages",
            json={"text": text, "language": language},
            headers=headers,
        )
        user.latencies.append((time.perf_counter() - started) * 1000)
        user.sent += 1
        if response.status_code != 200:
            user.errors += 1
            continue
        user.returned += [r["id"] for r in response.json()["replies"]]


async def agent_work(url: str, email: str, stop: asyncio.Event, replies: Counter[str]) -> None:
    """An agent that claims whatever is queued, replies once and resolves."""
    async with httpx.AsyncClient(timeout=60) as client:
        login = await client.post(
            f"{url}/api/agent/login", json={"email": email, "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        await client.put(f"{url}/api/agent/presence", json={"presence": "online"}, headers=headers)
        while not stop.is_set():
            queue = (await client.get(f"{url}/api/agent/sessions", headers=headers)).json()
            for session in queue["sessions"]:
                claim = await client.post(
                    f"{url}/api/agent/sessions/{session['id']}/claim", headers=headers
                )
                if claim.status_code != 200:
                    continue  # a colleague was faster (409)
                await client.post(
                    f"{url}/api/agent/sessions/{session['id']}/messages",
                    json={"text": f"agent reply to {session['id']}"},
                    headers=headers,
                )
                replies[session["conversation_id"]] += 1
                await client.post(
                    f"{url}/api/agent/sessions/{session['id']}/resolve", headers=headers
                )
            await asyncio.sleep(0.2)


async def direct_load(rasa_url: str, conversations: int, messages: int) -> tuple[float, float]:
    """The same load straight to Rasa's REST channel: messages/s and p95 latency."""
    latencies: list[float] = []

    async def one(index: int, client: httpx.AsyncClient) -> None:
        for turn in range(messages):
            language, text = QUESTIONS[(index + turn) % len(QUESTIONS)]
            started = time.perf_counter()
            response = await client.post(
                f"{rasa_url}/webhooks/rest/webhook",
                json={
                    "sender": f"load-{index}",
                    "message": text,
                    "metadata": {"language": language},
                },
            )
            assert response.status_code == 200
            latencies.append((time.perf_counter() - started) * 1000)

    limits = httpx.Limits(max_connections=conversations + 10)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(one(i, client) for i in range(conversations)))
        wall = time.perf_counter() - started
    return len(latencies) / wall, pct(latencies, 0.95)


async def load(url: str, conversations: int, messages: int, env: dict[str, str]) -> list[str]:
    for n in range(2):
        subprocess.run(
            [sys.executable, "-m", "handoff", "agents", "create", f"bench{n}@example.com", f"B{n}"],
            cwd=ROOT,
            env={**env, "AGENT_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
    direct = await direct_load(env["DESK_RASA_URL"], conversations, messages)
    users = [User(i, escalates=i % 5 == 0) for i in range(conversations)]
    ws_url = url.replace("http://", "ws://")
    limits = httpx.Limits(max_connections=conversations + 10)
    stop_listening, stop_agents = asyncio.Event(), asyncio.Event()
    agent_replies: Counter[str] = Counter()
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        for user in users:
            user.token = (await client.post(f"{url}/webchat/api/visitors", json={})).json()["token"]
        agents = [
            asyncio.ensure_future(
                agent_work(url, f"bench{n}@example.com", stop_agents, agent_replies)
            )
            for n in range(2)
        ]
        listeners = [asyncio.ensure_future(listen(u, ws_url, stop_listening)) for u in users]
        await asyncio.sleep(1.0)
        started = time.perf_counter()
        await asyncio.gather(*(converse(u, client, url, messages) for u in users))
        wall = time.perf_counter() - started
        deadline = time.monotonic() + 60  # let the agents finish the escalations
        escalated = sum(u.escalates for u in users)
        while len(agent_replies) < escalated and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)
        stop_agents.set()
        stop_listening.set()
        await asyncio.gather(*agents, *listeners, return_exceptions=True)
        lost = duplicated = stored_users = 0
        for user in users:
            history = (
                await client.get(
                    f"{url}/webchat/api/messages",
                    headers={"Authorization": f"Bearer {user.token}"},
                )
            ).json()["messages"]
            mine = [m for m in history if m["author"] == "user"]
            stored_users += len(mine)
            lost += max(0, user.sent - len(mine))
            outbound = [m["id"] for m in history if m["author"] != "user"]
            pushed = Counter(m["id"] for m in user.pushed)
            duplicated += sum(c - 1 for c in pushed.values() if c > 1)
            lost += len(set(outbound) - set(pushed))
    latencies = [t for u in users for t in u.latencies]
    sent = sum(u.sent for u in users)
    errors = sum(u.errors for u in users)
    return [
        "| measure | value |",
        "|---|---|",
        f"| conversations (at once) | {conversations}, {messages} messages each, "
        f"{escalated} escalate to 2 agents |",
        f"| user messages sent | {sent} in {wall:.1f} s |",
        f"| sustained throughput | **{sent / wall:.1f} messages/s** |",
        f"| the same load straight to Rasa (no escalations) | {direct[0]:.1f} messages/s, "
        f"p95 {direct[1]:.0f} ms |",
        f"| POST latency p50 / p95 | {statistics.median(latencies):.0f} / "
        f"{pct(latencies, 0.95):.0f} ms |",
        f"| HTTP errors | {errors} |",
        f"| user messages stored | {stored_users} of {sent} |",
        f"| escalations answered by an agent | {len(agent_replies)} of {escalated} |",
        f"| outbound messages not pushed on the WebSocket (lost) | {lost} |",
        f"| messages pushed twice (duplicated) | {duplicated} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--messages", type=int, default=5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as workdir,
        running_servers(Path(workdir), with_gateway=True) as servers,
    ):
        assert servers.env is not None
        os.environ.update({"DATABASE_URL": servers.env["DATABASE_URL"]})
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        out = [f"Measured by `scripts/bench_gateway.py` at {when}.", ""]
        out += asyncio.run(overhead(servers.rasa_url, servers.gateway_url, args.turns))
        out += [""]
        out += asyncio.run(
            load(servers.gateway_url, args.conversations, args.messages, servers.env)
        )
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
