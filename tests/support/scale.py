"""What the multi-process tests ask the cluster's database, how they report, and the
marker that tells them every push in flight has reached the pages."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.support.clients import MARKER, Agent, Visitor
from tests.support.cluster import Cluster, rows

REPORT = Path(os.environ.get("SCALE_REPORT", "var/scale-report.json"))


def database(group: Cluster) -> str:
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
        for r in rows(
            url,
            f"SELECT {column} FROM handoff_messages WHERE conversation_id = :c "
            f"AND kind = 'message' AND {authors} ORDER BY id",
            c=conversation,
        )
    ]


def replies_by_conversation(url: str) -> dict[str, list[int]]:
    """Every stored reply (bot, system, agent) of every conversation, in one query."""
    replies: dict[str, list[int]] = {}
    for conversation, message_id in rows(
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


def unfinished(url: str, conversations: list[str]) -> list[str]:
    """Those of *conversations* with a turn not finished yet (a pending message)."""
    found = rows(
        url,
        "SELECT DISTINCT conversation_id FROM handoff_messages "
        "WHERE pending AND conversation_id = ANY(:c)",
        c=conversations,
    )
    return sorted(r[0] for r in found)


def mark_pages(redis_url: str, visitors: list[Visitor], secret: str) -> dict[str, str]:
    """Put a marker for each visitor's page on the gateways' Redis channel, as a third
    gateway would (signed with the cluster's desk secret: unsigned events are refused).
    The gateway that holds the page delivers it after everything published to Redis
    before it: a page that got its marker has every push that was in flight. The
    marker is a system message whose text the test page recognises (MARKER). Returns
    conversation -> marker."""
    import redis

    from events import chat_topic
    from events.envelope import Sealer
    from events.fanout import CHANNEL

    sealer = Sealer([secret.encode()])
    markers = {v.conversation: uuid.uuid4().hex for v in visitors}
    connection = redis.Redis.from_url(redis_url)
    try:
        for conversation, marker in markers.items():
            message = {
                "id": None,
                "author": "system",
                "text": MARKER + marker,
                "buttons": [],
                "image": None,
                "created_at": None,
            }
            event = {"type": "message", "message": message}
            connection.publish(CHANNEL, sealer.seal("tests", chat_topic(conversation), event))
    finally:
        connection.close()
    return markers


async def claim_all(
    http: httpx.AsyncClient,
    agents: list[Agent],
    conversations: set[str],
    rng: random.Random,
    replies: int = 2,
) -> dict[int, int]:
    """Every agent claims what is queued for *conversations*, from its own gateway,
    until all are taken; each claim is answered with *replies* messages.

    Returns how many successful claims each session got.
    """
    wins: dict[int, int] = {}

    async def work(agent: Agent) -> None:
        deadline = time.monotonic() + 180
        while len(wins) < len(conversations) and time.monotonic() < deadline:
            queue = await http.get(
                f"{agent.url}/api/agent/sessions", params={"view": "queue"}, headers=agent.headers
            )
            sessions = [
                s for s in queue.json()["sessions"] if s["conversation_id"] in conversations
            ]
            rng.shuffle(sessions)
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
            await asyncio.sleep(0.2)  # an agent glancing at the queue again, as a console does

    await asyncio.gather(*(work(a) for a in agents))
    return wins
