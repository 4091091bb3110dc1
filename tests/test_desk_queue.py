"""The queue agents work from, and what waiting users are told (issue 16, defects 4 and 5).

The in-process gateway on SQLite and PostgreSQL: live chats come before tickets
(chats by waiting time, tickets by due time) and show no ticket deadline; a user who
moves up is told their new place, once per move and not for every claim; a user who
shared a recovery phrase is an urgent case at the top, with a short deadline and
the redacted conversation.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from common.settings import DeskSettings
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, Gateway, texts
from tests.support.randomness import recovery_phrase, seeded


def history(gateway: Gateway, visitor: dict[str, str]) -> list[str]:
    listed = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": visitor["Authorization"]}
    )
    return [m["text"] for m in listed.json()["messages"]]


def test_live_chats_come_before_tickets_and_show_no_ticket_deadline(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com", online=False)
    # Nobody online: a dispute (high priority, 24 h) and a request become tickets.
    dispute, request = gateway.visitor(), gateway.visitor()
    gateway.say(dispute, "dispute", language="en")
    gateway.say(request, "human", language="en")
    assert gateway.put_presence(alice, "online").status_code == 200
    waiting = []
    for _ in range(2):
        visitor = gateway.visitor()
        told = " ".join(texts(gateway.say(visitor, "human", language="en")))
        assert "in line" in told
        waiting.append(visitor)

    queue = gateway.queue(alice)
    assert [s["kind"] for s in queue] == ["chat", "chat", "ticket", "ticket"]
    first, second = queue[0], queue[1]
    assert first["queued_at"] <= second["queued_at"]  # longest waiting first
    assert first["due_at"] is None and second["due_at"] is None  # no "due in 47h 59m"
    tickets = queue[2:]
    assert tickets[0]["reason"] == "dispute"  # due in 24 h, before the one due in 48 h
    assert all(t["due_at"] for t in tickets)
    assert datetime.fromisoformat(tickets[0]["due_at"]) < datetime.fromisoformat(
        tickets[1]["due_at"]
    )


def test_a_waiting_user_is_told_when_they_move_up_without_a_message_per_claim(
    database_url: str,
) -> None:
    settings: DeskSettings = ALWAYS.copy(update={"position_quiet_seconds": 1})
    gateway = Gateway(database_url, FakeRasa(), settings)
    with gateway.client:
        alice = gateway.agent("alice@example.com")
        users = [gateway.visitor() for _ in range(4)]
        for n, user in enumerate(users, 1):
            assert f"number {n} in line" in " ".join(texts(gateway.say(user, "human")))
        post = gateway.client.post

        def claim_next() -> None:
            sid = gateway.queue(alice)[0]["id"]
            assert post(f"/api/agent/sessions/{sid}/claim", headers=alice).status_code == 200

        def moves(user: dict[str, str]) -> list[str]:
            return [t for t in history(gateway, user) if "moved up" in t]

        claim_next()
        # Number 2 is next now: told at once.
        assert moves(users[1]) == ["You've moved up in the queue: you're now number 1 in line."]
        # Numbers 3 and 4 were told their place a moment ago: not yet again.
        assert moves(users[2]) == moves(users[3]) == []
        time.sleep(1.2)
        gateway.client.portal.call(gateway.parts.sla.sweep)  # the periodic job
        assert moves(users[2]) == ["You've moved up in the queue: you're now number 2 in line."]
        assert moves(users[3]) == ["You've moved up in the queue: you're now number 3 in line."]
        gateway.client.portal.call(gateway.parts.sla.sweep)
        assert len(moves(users[3])) == 1  # told once per move, not once per sweep
        claim_next()
        assert moves(users[2])[-1].endswith("now number 1 in line.")
        assert len(moves(users[3])) == 1  # 3 -> 2 within the quiet spell: later
        assert moves(users[0]) == []  # never told: they were served


def test_a_shared_recovery_phrase_is_urgent_first_with_a_short_deadline_and_context(
    gateway: Gateway,
) -> None:
    alice = gateway.agent("alice@example.com")
    earlier = gateway.visitor()
    gateway.say(earlier, "dispute", language="en")  # a high-priority case, queued first
    me = gateway.visitor()
    gateway.say(me, "my wallet app shows zero balance", language="en")
    phrase = recovery_phrase(seeded("urgent-security"))
    gateway.say(me, f"support asked for this: {phrase}", language="en")

    queue = gateway.queue(alice)
    top = queue[0]
    assert top["reason"] == "security" and top["priority"] == "urgent"
    assert top["due_at"] is not None
    minutes = (
        datetime.fromisoformat(top["due_at"]) - datetime.fromisoformat(top["queued_at"])
    ).total_seconds() / 60
    assert minutes == 60  # the security SLA: an hour, not none
    detail: dict[str, Any] = gateway.client.get(
        f"/api/agent/sessions/{top['id']}", headers=alice
    ).json()
    transcript = detail["payload"]["transcript"]
    said = [line["text"] for line in transcript]
    assert "my wallet app shows zero balance" in said
    assert any("[redacted: recovery phrase]" in line for line in said)
    words = phrase.split()
    assert not any(" ".join(words[:3]) in line for line in said)  # never the secret


def test_a_phrase_shared_in_an_ordinary_case_makes_it_urgent(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    other = gateway.visitor()
    gateway.say(other, "human", language="en")
    me = gateway.visitor()
    gateway.say(me, "human", language="en")
    gateway.say(me, recovery_phrase(seeded("urgent-escalation")), language="en")
    [first, second] = gateway.queue(alice)
    assert first["priority"] == "urgent" and second["priority"] == "normal"
    assert first["due_at"] is not None


def test_with_nobody_online_the_security_ticket_promises_an_hour(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com", online=False)
    me = gateway.visitor()
    said = texts(gateway.say(me, recovery_phrase(seeded("urgent-ticket")), language="en"))
    assert any("we'll reply here within 1 hour. " in t for t in said), said
    [ticket] = gateway.queue(alice)
    assert ticket["kind"] == "ticket" and ticket["priority"] == "urgent"
    other = gateway.visitor()
    assert any("within 48 hours" in t for t in texts(gateway.say(other, "human", language="en")))
