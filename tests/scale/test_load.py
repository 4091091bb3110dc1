"""200 conversations over two gateways: each message stored and each reply pushed
exactly once (the page shows them in stored order); each escalation claimed exactly
once by 10 agents on both gateways; consoles and pages served across gateways over Redis."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.support import cluster as c
from tests.support.clients import Agent, Visitor, client
from tests.support.cluster import Running
from tests.support.randomness import SEED, seeded
from tests.support.scale import (
    claim_all,
    database,
    mark_pages,
    outbound_ids,
    report,
    unfinished,
    user_texts,
)
from tests.support.waiting import wait_until_async

pytestmark = pytest.mark.e2e

ESCALATE = "I want to talk to a human agent"
SCRIPT = ["hello", "how do I reset my password?"]


def test_200_conversations_over_two_gateways_each_message_and_claim_exactly_once(
    running: Running,
) -> None:
    group, gateways, _rasas = running
    url = database(group)
    emails = c.create_agents(url, 10)
    rng = seeded("scale-load")
    print(f"random seed {SEED} (TEST_SEED)")

    async def run() -> dict[str, Any]:
        async with client() as http:
            agents = [Agent(gateways[i % 2].url, e) for i, e in enumerate(emails)]
            await asyncio.gather(*(a.log_in(http) for a in agents))
            urls = [g.url for g in gateways]
            visitors = [Visitor(urls, i % 2) for i in range(200)]
            await asyncio.gather(*(v.open(http) for v in visitors))
            escalating = visitors[::5]
            asked: dict[str, float] = {}

            async def converse(visitor: Visitor) -> None:
                await asyncio.sleep(rng.uniform(0, 3))  # users arrive over 3 s, not at once
                for text in SCRIPT:
                    await visitor.say(http, text)
                if visitor in escalating:
                    asked[visitor.conversation] = time.monotonic()
                    await visitor.say(http, ESCALATE)

            started = time.monotonic()
            escalated = {v.conversation for v in escalating}
            claims = asyncio.create_task(claim_all(http, agents, escalated, rng))
            await asyncio.gather(*(converse(v) for v in visitors))
            wins = await claims
            elapsed = time.monotonic() - started

            def replied() -> bool:
                return all(sum(m["author"] == "agent" for m in v.pushed) >= 2 for v in escalating)

            await wait_until_async(replied, 60, "agent replies did not reach every user")
            # Nothing more is on its way: no turn is unfinished, and a marker put on
            # Redis after that has reached every page, behind any push still in flight
            # (one sent twice would be among them).
            conversations = [v.conversation for v in visitors]
            await wait_until_async(
                lambda: not unfinished(url, conversations),
                60,
                lambda: f"turns never finished: {unfinished(url, conversations)}",
            )
            markers = mark_pages(c.REDIS_URL, visitors, c.SECRET)

            def unmarked() -> list[str]:
                return [
                    v.conversation for v in visitors if markers[v.conversation] not in v.markers
                ]

            await wait_until_async(
                lambda: not unmarked(), 30, lambda: f"pages never got the marker: {unmarked()}"
            )

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
    mine = {v.conversation for v in visitors}
    sessions = [
        s
        for s in c.rows(url, "SELECT conversation_id, state, agent_id FROM handoff_sessions")
        if s[0] in mine  # (the other tests' conversations share the database)
    ]
    assert sorted(s[0] for s in sessions) == sorted(v.conversation for v in escalating)
    assert all(s[1] == "assigned" and s[2] is not None for s in sessions)
    assert set(result["wins"].values()) == {1}
    assert len(result["wins"]) == len(escalating)

    for visitor in visitors:
        # Every user message stored exactly once, in the order sent.
        assert user_texts(url, visitor.conversation) == visitor.sent
        # Every reply (bot, system, agent) pushed to the user's page exactly once.
        stored = outbound_ids(url, visitor.conversation)
        pushed = [m["id"] for m in visitor.pushed if m["author"] != "user"]
        # Replies made on the other gateway (a queue place told after a claim there) arrive
        # through Redis and may overtake one made here; the page places each by its id.
        assert len(pushed) == len(set(pushed)), (visitor.conversation, pushed)
        assert sorted(pushed) == stored, (visitor.conversation, pushed, stored)
        # The user's own messages reach their other tabs too (docs/desk-api.md), once each.
        echoes = [m["id"] for m in visitor.pushed if m["author"] == "user"]
        assert len(echoes) == len(set(echoes)), (visitor.conversation, echoes)
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
