"""Scale-out proof: 2 gateways, 2 Rasa servers and the action server over PostgreSQL
and Redis, started with the operator's role commands (``scripts/serve.sh``).

Load, redelivery to both gateways at once, and ``kill -9`` of a gateway and of a
Rasa server in the middle of the load. The kill test runs last: it leaves the
cluster short of two processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import cluster as c
from tests.e2e_support import service_missing
from tests.test_telegram import SECRET as TG_SECRET
from tests.test_telegram import TOKEN as TG_TOKEN
from tests.test_telegram import BotApi
from tests.test_wechat import APP_ID, OPENID, WeChatApi, signed, xml
from tests.test_wechat import TOKEN as WECHAT_TOKEN

pytestmark = pytest.mark.e2e

ESCALATE = "I want to talk to a human agent"
SCRIPT = ["hello", "how do I reset my password?"]
REPORT = Path(os.environ.get("SCALE_REPORT", "var/scale-report.json"))


@pytest.fixture(scope="module")
def two_by_two(
    tmp_path_factory: pytest.TempPathFactory, platforms: tuple[BotApi, WeChatApi]
) -> Iterator[tuple[c.Cluster, list[c.Process], list[c.Process]]]:
    missing = c.services_up()
    if missing:
        service_missing(missing)
    telegram, wechat = platforms
    channels = {
        "TELEGRAM_TOKEN": TG_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TG_SECRET,
        "TELEGRAM_BASE_URL": f"{telegram.url}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{telegram.url}/file/bot",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "scale-secret",
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_API_BASE": wechat.url,
        # 200 conversations at once queue up at two Rasa servers on two cores.
        "DESK_RASA_TIMEOUT_SECONDS": "60",
    }
    with c.cluster(tmp_path_factory.mktemp("cluster"), 2, channels) as running:
        yield running


def database(group: c.Cluster) -> str:
    return group.env["DATABASE_URL"]


def report(section: str, values: dict[str, Any]) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    data[section] = values
    REPORT.write_text(json.dumps(data, indent=2))
    print(f"\n{section}: {json.dumps(values)}")


def _column(url: str, column: str, conversation: str, authors: str) -> list[Any]:
    return [
        r[0]
        for r in c.rows(
            url,
            f"SELECT {column} FROM handoff_messages WHERE conversation_id = :c "
            f"AND kind = 'message' AND {authors} ORDER BY id",
            c=conversation,
        )
    ]


def replies_by_conversation(url: str) -> dict[str, list[int]]:
    """Every stored reply (bot, system, agent) of every conversation, in one query."""
    replies: dict[str, list[int]] = {}
    for conversation, message_id in c.rows(
        url,
        "SELECT conversation_id, id FROM handoff_messages "
        "WHERE kind = 'message' AND author <> 'user' ORDER BY id",
    ):
        replies.setdefault(conversation, []).append(message_id)
    return replies


def outbound_ids(url: str, conversation: str) -> list[int]:
    return _column(url, "id", conversation, "author <> 'user'")


def user_texts(url: str, conversation: str) -> list[str]:
    return _column(url, "text", conversation, "author = 'user'")


async def _claim_all(
    http: httpx.AsyncClient, agents: list[c.Agent], expected: int, replies: int = 2
) -> dict[int, int]:
    """Every agent claims whatever is queued, from its own gateway, until all are taken.

    Returns how many successful claims each session got.
    """
    wins: dict[int, int] = {}

    async def work(agent: c.Agent) -> None:
        deadline = time.monotonic() + 180
        while len(wins) < expected and time.monotonic() < deadline:
            queue = await http.get(
                f"{agent.url}/api/agent/sessions", params={"view": "queue"}, headers=agent.headers
            )
            sessions = queue.json()["sessions"]
            random.shuffle(sessions)
            for session in sessions:
                sid = session["id"]
                claim = await http.post(
                    f"{agent.url}/api/agent/sessions/{sid}/claim", headers=agent.headers
                )
                if claim.status_code == 409:
                    agent.conflicts += 1
                    continue
                assert claim.status_code == 200, claim.text
                wins[sid] = wins.get(sid, 0) + 1
                agent.claimed.append(sid)
                for n in range(1, replies + 1):
                    sent = await http.post(
                        f"{agent.url}/api/agent/sessions/{sid}/messages",
                        json={"text": f"agent reply {n} for session {sid}"},
                        headers=agent.headers,
                    )
                    assert sent.status_code == 200, sent.text
            await asyncio.sleep(0.2)

    await asyncio.gather(*(work(a) for a in agents))
    return wins


async def _until(condition: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.25)
    return bool(condition())


def test_200_conversations_over_two_gateways_each_message_and_claim_exactly_once(
    two_by_two: tuple[c.Cluster, list[c.Process], list[c.Process]],
) -> None:
    group, gateways, _rasas = two_by_two
    url = database(group)
    emails = c.create_agents(url, 10)

    async def run() -> dict[str, Any]:
        async with c.client() as http:
            agents = [c.Agent(gateways[i % 2].url, e) for i, e in enumerate(emails)]
            await asyncio.gather(*(a.log_in(http) for a in agents))
            urls = [g.url for g in gateways]
            visitors = [c.Visitor(urls, i % 2) for i in range(200)]
            await asyncio.gather(*(v.open(http) for v in visitors))
            escalating = visitors[::5]
            asked: dict[str, float] = {}

            async def converse(visitor: c.Visitor) -> None:
                await asyncio.sleep(random.uniform(0, 3))
                for text in SCRIPT:
                    await visitor.say(http, text)
                if visitor in escalating:
                    asked[visitor.conversation] = time.monotonic()
                    await visitor.say(http, ESCALATE)

            started = time.monotonic()
            claims = asyncio.create_task(_claim_all(http, agents, len(escalating)))
            await asyncio.gather(*(converse(v) for v in visitors))
            wins = await claims
            elapsed = time.monotonic() - started

            def replied() -> bool:
                return all(sum(m["author"] == "agent" for m in v.pushed) >= 2 for v in escalating)

            assert await _until(replied, 60), "agent replies did not reach every user"
            await asyncio.sleep(1)  # anything sent twice would arrive by now

            # Claim latency: a user's message on one gateway to the console event
            # on the other gateway.
            latencies = []
            for visitor in escalating:
                other = [a for a in agents if a.url != visitor.url]
                times = [
                    t
                    for a in other
                    for t, e in a.events
                    if e.get("conversation_id") == visitor.conversation
                    and t >= asked[visitor.conversation]
                ]
                if times:
                    latencies.append(min(times) - asked[visitor.conversation])
            for person in [*visitors, *agents]:
                await person.close()
            return {
                "visitors": visitors,
                "escalating": escalating,
                "agents": agents,
                "wins": wins,
                "elapsed": elapsed,
                "latencies": sorted(latencies),
            }

    result = asyncio.run(run())
    visitors, escalating = result["visitors"], result["escalating"]

    # Every session claimed exactly once, by one agent, and nothing else queued.
    sessions = c.rows(url, "SELECT conversation_id, state, agent_id FROM handoff_sessions")
    assert sorted(s[0] for s in sessions) == sorted(v.conversation for v in escalating)
    assert all(s[1] == "assigned" and s[2] is not None for s in sessions)
    assert set(result["wins"].values()) == {1}
    assert len(result["wins"]) == len(escalating)

    for visitor in visitors:
        # Every user message stored exactly once, in the order sent.
        assert user_texts(url, visitor.conversation) == visitor.sent
        # Every reply (bot, system, agent) pushed to the user's page exactly once, in order.
        stored = outbound_ids(url, visitor.conversation)
        pushed = [m["id"] for m in visitor.pushed]
        assert pushed == stored, (visitor.conversation, pushed, stored)
    for visitor in escalating:
        agent_texts = [m["text"] for m in visitor.pushed if m["author"] == "agent"]
        assert len(agent_texts) == 2 and agent_texts[0].startswith("agent reply 1")

    # Fan-out: each console saw user messages that arrived on the other gateway, and
    # some agent replies reached users through a gateway the agent didn't use.
    for agent in result["agents"]:
        elsewhere = {v.conversation for v in visitors if v.url != agent.url}
        assert any(e.get("conversation_id") in elsewhere for _, e in agent.events), agent.email
    claimed_by = {sid: a.url for a in result["agents"] for sid in a.claimed}
    homes = {v.conversation: v.url for v in escalating}
    sessions_by_id = dict(c.rows(url, "SELECT id, conversation_id FROM handoff_sessions"))
    crossed = sum(url_ != homes[sessions_by_id[sid]] for sid, url_ in claimed_by.items())
    assert crossed > 0

    latencies = result["latencies"]
    messages = sum(len(v.sent) for v in visitors)
    report(
        "load",
        {
            "conversations": len(visitors),
            "user_messages": messages,
            "escalated": len(escalating),
            "claims_won": len(result["wins"]),
            "claim_conflicts": sum(a.conflicts for a in result["agents"]),
            "sessions_answered_through_the_other_gateway": crossed,
            "seconds": round(result["elapsed"], 1),
            "escalation_to_console_on_other_gateway_under_load_p50_ms": round(
                1000 * latencies[len(latencies) // 2]
            ),
            "escalation_to_console_on_other_gateway_under_load_p95_ms": round(
                1000 * latencies[int(len(latencies) * 0.95)]
            ),
        },
    )


def test_the_same_update_and_msgid_sent_to_both_gateways_at_once_is_processed_once(
    two_by_two: tuple[c.Cluster, list[c.Process], list[c.Process]],
    platforms: tuple[BotApi, WeChatApi],
) -> None:
    group, gateways, _rasas = two_by_two
    url = database(group)
    telegram, wechat = platforms
    count = 25

    def tg_update(update_id: int, chat: int) -> dict[str, Any]:
        sender = {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"}
        return {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Ana"},
                "from": sender,
                "text": "hello",
            },
        }

    def wx_push(gateway: str, msg_id: int, openid: str) -> httpx.Response:
        timestamp, nonce = str(int(time.time())), f"n{msg_id}"
        params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        body = xml("text", msg_id, Content="你好").replace(OPENID, openid)
        return httpx.post(f"{gateway}/wechat", params=params, content=body, timeout=60)

    async def run() -> tuple[list[httpx.Response], list[httpx.Response]]:
        headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        async with c.client(60) as http:
            tg = [
                http.post(
                    f"{g.url}/telegram/webhook", json=tg_update(9000 + i, 5000 + i), headers=headers
                )
                for i in range(count)
                for g in gateways
            ]
            tg_responses = await asyncio.gather(*tg)
        wx = [
            asyncio.to_thread(wx_push, g.url, 77000 + i, f"oScale{i}")
            for i in range(count)
            for g in gateways
        ]
        return list(tg_responses), list(await asyncio.gather(*wx))

    tg_responses, wx_responses = asyncio.run(run())
    assert all(r.status_code == 200 for r in tg_responses + wx_responses)
    duplicates = sum(bool(r.json().get("duplicate")) for r in tg_responses)
    assert duplicates == count  # one of each pair was recognised, in either gateway
    time.sleep(3)  # customer-service sends that follow a "success" reply

    for i in range(count):
        chat = 5000 + i
        conversation = f"telegram:{chat}"
        assert user_texts(url, conversation) == ["hello"]
        replies = outbound_ids(url, conversation)
        assert len(replies) >= 1
        sends = [p for m, p in telegram.calls if m == "sendMessage" and int(p["chat_id"]) == chat]
        assert len(sends) == len(replies)  # each stored reply sent once

    passive = [r for r in wx_responses if r.text not in ("success", "")]
    for i in range(count):
        openid = f"oScale{i}"
        conversation = f"wechat:{openid}"
        assert user_texts(url, conversation) == ["你好"]
        replies = outbound_ids(url, conversation)
        mine = [r for r in passive if f"<ToUserName><![CDATA[{openid}]]>" in r.text]
        service = [m for m in wechat.sent if m.get("touser") == openid]
        assert len(mine) <= 1 and len(mine) + len(service) >= 1
    # One access token for both gateways: the fetch is leased, the value shared.
    assert wechat.tokens == 1
    report(
        "redelivery",
        {
            "telegram_updates": count,
            "wechat_msgids": count,
            "deliveries_each": 2,
            "duplicates_recognised_telegram": duplicates,
            "wechat_passive_replies": len(passive),
            "wechat_tokens_fetched": wechat.tokens,
        },
    )


@pytest.fixture(scope="module")
def balancer(
    two_by_two: tuple[c.Cluster, list[c.Process], list[c.Process]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """nginx with deploy/nginx.conf in front of both gateways."""
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        service_missing("nginx is not installed (apt-get install nginx-light)")
    with c.balancer(tmp_path_factory.mktemp("balancer"), two_by_two[1]) as url:
        yield url


def test_kill_9_a_gateway_and_a_rasa_server_mid_load_loses_nothing(
    two_by_two: tuple[c.Cluster, list[c.Process], list[c.Process]], balancer: str
) -> None:
    group, gateways, rasas = two_by_two
    url = database(group)
    lines = ["hello", "how do I reset my password?", "what are the fees?", "thank you"]

    async def run() -> dict[str, Any]:
        async with c.client() as http:
            urls = [g.url for g in gateways]
            # A third behind nginx (deploy/nginx.conf), the rest straight at a gateway,
            # switching to the other one as a page behind any balancer would.
            visitors = [
                c.Visitor([balancer], 0) if i % 3 == 0 else c.Visitor(urls, i % 2)
                for i in range(60)
            ]
            await asyncio.gather(*(v.open(http) for v in visitors))
            total = len(visitors) * len(lines)
            sent = 0
            killed: dict[str, float] = {}

            async def converse(visitor: c.Visitor) -> None:
                nonlocal sent
                await asyncio.sleep(random.uniform(0, 2))
                for text in lines:
                    await visitor.say(http, text)
                    sent += 1
                    if sent >= total // 4 and "gateway" not in killed:
                        killed["gateway"] = time.monotonic()
                        gateways[0].kill()
                    if sent >= total // 2 and "rasa" not in killed:
                        killed["rasa"] = time.monotonic()
                        rasas[0].kill()

            await asyncio.gather(*(converse(v) for v in visitors))

            def settled() -> bool:
                pending = c.rows(url, "SELECT count(*) FROM handoff_messages WHERE pending")
                return int(pending[0][0]) == 0

            # Pending means unanswered: a turn taken over from the dead gateway stays
            # pending until its reply is stored (and pushed).
            assert await _until(settled, 90), "turns left unfinished by the dead gateway"

            def pushed() -> bool:
                stored = replies_by_conversation(url)
                return all(set(stored.get(v.conversation, ())) <= set(v.seen) for v in visitors)

            await _until(pushed, 15)  # pushes in flight; what is still missing is the re-read's
            before_reread = {v.conversation: set(v.seen) for v in visitors}
            for visitor in visitors:  # the page's periodic re-read (chat.js, every 30 s)
                await visitor.reread(http)
                await visitor.close()
            metrics = (await http.get(f"{gateways[1].url}/metrics")).text
            return {"visitors": visitors, "metrics": metrics, "before_reread": before_reread}

    result = asyncio.run(run())
    visitors: list[c.Visitor] = result["visitors"]
    lost_replies = only_reread = 0
    lost: list[tuple[str, list[str], int, list[int]]] = []
    # Rasa's Redis lock store keeps each conversation's tickets in one JSON value that
    # two servers update without a transaction; around a killed server a conversation
    # can stall until the gateway's timeout. The user is then told, and a human takes
    # over (a bot_unavailable session), so later messages are for the agent.
    handed = {
        row[0]
        for row in c.rows(
            url, "SELECT conversation_id FROM handoff_sessions WHERE reason = 'bot_unavailable'"
        )
    }
    for visitor in visitors:
        assert user_texts(url, visitor.conversation) == lines  # each stored once, in order
        stored = outbound_ids(url, visitor.conversation)
        assert len(stored) >= len(lines) or visitor.conversation in handed  # each answered
        missing = sorted(set(stored) - set(visitor.seen))
        if missing:
            lost.append((visitor.conversation, visitor.gateways, visitor.home, missing))
        lost_replies += len(missing)
        only_reread += len(set(stored) - result["before_reread"][visitor.conversation])
    assert lost_replies == 0, lost  # (conversation, gateways, which one last, reply ids)
    retried = {
        line.split('what="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in result["metrics"].splitlines()
        if line.startswith("support_retries_total{")
    }
    report(
        "kill",
        {
            "conversations": len(visitors),
            "behind_nginx": sum(v.gateways == [balancer] for v in visitors),
            "user_messages": len(visitors) * len(lines),
            "posts_retried_on_the_other_gateway": sum(v.retries for v in visitors),
            "retries_already_stored": sum(v.duplicates_answered for v in visitors),
            "page_reconnects": sum(v.reconnects for v in visitors),
            "surviving_gateway_retries": retried,
            "replies_lost": lost_replies,
            "conversations_handed_to_a_human_after_a_stalled_rasa_turn": len(
                handed & {v.conversation for v in visitors}
            ),
            "replies_that_reached_the_page_only_by_its_periodic_reread": only_reread,
        },
    )
