"""Scale-out: nothing lost and nothing done twice when a process dies or a step fails.
Web chat and agent client ids, turns left by a dead process, failed deliveries, a
turn that fails in a live process."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from common.channel import Connector, DeliveryFailed
from common.clock import utcnow
from common.messages import OutboundMessage
from common.settings import ServiceSettings
from connectors.webchat import WebChatConnector
from events import EventHub
from gateway.assembly import Parts, assemble
from gateway.rasa import RasaClient
from store import conversations, leases, messages
from store.db import make_engine, migrate, session_factory
from store.models import Message
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, Gateway
from tests.support.waiting import wait_until


def test_a_retried_web_chat_message_is_stored_once(database_url: str) -> None:
    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        headers = {"Authorization": gateway.visitor()["Authorization"]}
        body = {"text": "hello there", "client_id": "c-12345678"}
        first = gateway.client.post("/webchat/api/messages", json=body, headers=headers)
        again = gateway.client.post("/webchat/api/messages", json=body, headers=headers)
        assert first.status_code == again.status_code == 200
        assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
        assert again.json()["message"]["id"] == first.json()["message"]["id"]
        # The retry gets the answer the first copy got (its gateway may have died before
        # the page saw it).
        assert again.json()["replies"] == first.json()["replies"] != []
        assert len(gateway.rasa.calls) == 1
        history = gateway.client.get("/webchat/api/messages", headers=headers).json()
        assert [m["text"] for m in history["messages"] if m["author"] == "user"] == ["hello there"]
        bad = gateway.client.post(
            "/webchat/api/messages", json={**body, "client_id": "<script>"}, headers=headers
        )
        assert bad.status_code == 422


def test_a_turn_left_unfinished_by_a_dead_process_is_finished_once(database_url: str) -> None:
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    with first.client, second.client:
        inbox = first.parts.inbox
        later = lambda: utcnow() + timedelta(seconds=5)  # noqa: E731  (past the 2 s grace)
        for gateway in (first, second):
            gateway.parts.inbox.clock = later
        # A slow turn of a live process is left alone, however old.
        slow = inbox.receive("webchat:v0", "webchat", "en", "slow one", pending=True)
        assert asyncio.run(second.parts.router.recover()) == 0
        # What a process killed between storing a message and answering it leaves
        # behind: its liveness lease is gone.
        inbox.holder = "host:4242:dead01"
        stored = inbox.receive("webchat:v1", "webchat", "en", "where is my USDT", pending=True)

        async def both() -> list[int]:
            return list(
                await asyncio.gather(first.parts.router.recover(), second.parts.router.recover())
            )

        # The gateways' own schedulers may take it first: either way, one turn.
        assert sum(asyncio.run(both())) <= 1

        def answered() -> bool:  # a finished turn is never taken again
            with inbox.database() as db:
                row = db.get(Message, stored.message.id)
                return row is not None and not row.pending

        wait_until(answered, 5, "the dead process's turn was never finished")
        calls = first.rasa.calls + second.rasa.calls
        assert [call["message"] for call in calls] == [stored.message.text]
        with inbox.database() as db:
            texts = [(m.author, m.text) for m in messages.messages(db, "webchat:v1")]
            assert db.get(Message, slow.message.id).pending  # still the live process's
        assert texts == [("user", "where is my USDT"), ("bot", "bot: where is my USDT")]


def _standalone_router(url: str, holder: str) -> tuple[Parts, FakeRasa]:
    """The parts of one "process" *holder*, with no scheduler running."""
    engine = make_engine(url)
    migrate(engine)
    hub = EventHub()
    rasa = FakeRasa()
    client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
    database = session_factory(engine)
    parts = assemble(
        database, hub, ALWAYS, ServiceSettings(), RasaClient("http://rasa.test", client=client)
    )
    parts.outbox.connectors["webchat"] = WebChatConnector(hub)
    parts.inbox.holder = holder
    parts.inbox.clock = lambda: utcnow() + timedelta(seconds=5)  # past the 2 s grace
    return parts, rasa


def test_a_recovered_turn_stays_pending_until_answered_and_survives_its_recoverer_dying(
    database_url: str,
) -> None:
    writer, _ = _standalone_router(database_url, "host:1:dead01")  # killed mid-turn
    recoverer, _ = _standalone_router(database_url, "host:2:dies02")  # killed recovering
    survivor, rasa = _standalone_router(database_url, "host:3:live03")
    stored = writer.inbox.receive("webchat:v1", "webchat", "en", "where is my USDT", pending=True)
    # A second process takes the turn over, then dies before answering it. The turn
    # is still unanswered, so it is still pending, now under the second process.
    [taken] = recoverer.inbox.take_stale_turns()
    assert taken.message.id == stored.message.id
    with writer.inbox.database() as db:
        row = db.get(Message, stored.message.id)
        assert row is not None and row.pending and row.handler == "host:2:dies02"
    lease = leases.ALIVE + "host:2:dies02"
    # While the second process's liveness lease is current, nobody else takes it ...
    with survivor.inbox.database.begin() as db:
        assert leases.acquire(db, lease, timedelta(seconds=60), utcnow(), holder="host:2:dies02")
    assert asyncio.run(survivor.router.recover()) == 0
    assert rasa.calls == []
    # ... and once the lease lapses, the turn is taken over again and answered once.
    with survivor.inbox.database.begin() as db:
        leases.release(db, lease, utcnow(), holder="host:2:dies02")
    assert asyncio.run(survivor.router.recover()) == 1
    assert [call["message"] for call in rasa.calls] == ["where is my USDT"]
    with survivor.inbox.database() as db:
        rows = messages.messages(db, "webchat:v1")
        assert [(m.author, m.text) for m in rows] == [
            ("user", "where is my USDT"),
            ("bot", "bot: where is my USDT"),
        ]
        row = db.get(Message, stored.message.id)
        assert row is not None and not row.pending
    assert asyncio.run(survivor.router.recover()) == 0


class Flaky(Connector):
    """A platform that refuses the first send, then takes everything."""

    name = "flaky"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.refuse = 1

    async def send_text_message(self, user_id: str, text: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise DeliveryFailed("502 from the platform")
        self.sent.append(text)


def test_a_failed_delivery_is_retried_once_across_processes(database_url: str) -> None:
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    platform = Flaky()
    with first.client, second.client:
        for gateway in (first, second):
            gateway.parts.outbox.connectors["flaky"] = platform
        outbox = first.parts.outbox
        with outbox.database.begin() as db:
            conversations.ensure_conversation(db, "flaky:u1", "flaky", "en")
        asyncio.run(outbox.deliver("flaky:u1", [OutboundMessage(text="your ticket is T-000001")]))
        assert platform.sent == []

        async def both() -> list[int]:
            return list(
                await asyncio.gather(
                    first.parts.outbox.retry_failed(), second.parts.outbox.retry_failed()
                )
            )

        # The gateways' own retry jobs may get to it first: either way, sent once.
        assert sum(asyncio.run(both())) <= 1

        def delivered() -> bool:  # recorded as sent: no retry job takes it again
            with outbox.database() as db:
                [message] = messages.messages(db, "flaky:u1")
                return message.delivery is None

        wait_until(delivered, 5, "the failed delivery was never retried")
        assert platform.sent == ["your ticket is T-000001"]
        with outbox.database() as db:
            [message] = messages.messages(db, "flaky:u1")
        assert message.delivery is None and message.attempts == 1


def test_a_turn_that_fails_in_a_live_process_is_run_once_more(database_url: str) -> None:
    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        router, inbox, answers = (
            gateway.parts.router,
            gateway.parts.inbox,
            gateway.parts.router.answers,
        )
        original = answers.from_bot
        failures = [RuntimeError("the database went away mid-turn")]

        async def failing(*args: object) -> object:
            if failures:
                raise failures.pop()
            return await original(*args)

        answers.from_bot = failing  # type: ignore[method-assign]
        me = gateway.visitor()
        with pytest.raises(RuntimeError):
            gateway.say(me, "where is my USDT")
        inbox.clock = lambda: utcnow() + timedelta(seconds=5)

        def run_again() -> list[Message]:  # the gateway's own job, or this call, runs it
            asyncio.run(router.recover())
            with inbox.database() as db:
                rows = messages.messages(db, next(iter(_conversations(db))))
            return rows if len(rows) > 1 else []

        rows = wait_until(run_again, 5, "the failed turn was never run again", interval=0.1)
        assert [(m.author, m.text) for m in rows] == [
            ("user", "where is my USDT"),
            ("bot", "bot: where is my USDT"),
        ]
        assert not rows[0].pending


def _conversations(db: object) -> list[str]:
    from sqlalchemy import select

    from store.models import Conversation

    return list(db.execute(select(Conversation.id)).scalars())  # type: ignore[attr-defined]


def test_an_agent_reply_retried_with_its_client_id_reaches_the_user_once(
    database_url: str,
) -> None:
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    with first.client, second.client:
        agent = first.agent("dana@example.com")
        me = first.visitor()
        first.say(me, "human")
        [session] = first.queue(agent)
        claim = first.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=agent)
        assert claim.status_code == 200
        body = {"text": "Hi, I'm Dana.", "client_id": "reply-0001"}
        path = f"/api/agent/sessions/{session['id']}/messages"
        once = first.client.post(path, json=body, headers=agent)
        again = second.client.post(path, json=body, headers=agent)  # the other gateway
        assert once.status_code == again.status_code == 200
        assert once.json()["id"] == again.json()["id"]
        history = first.client.get(
            "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
        ).json()["messages"]
        assert [m["text"] for m in history if m["author"] == "agent"] == ["Hi, I'm Dana."]
