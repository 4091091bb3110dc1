"""The router with a real SQLite store, a local stand-in for Rasa's REST API and an
in-memory connector."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common.channel import CollectingConnector, DeliveryFailed, Undeliverable
from common.clock import utcnow
from common.messages import MAX_TEXT, InboundMessage, OutboundMessage
from common.payload import HandoffPayload
from common.settings import DeskSettings, ServiceSettings
from events import EventHub
from gateway.assembly import assemble
from gateway.rasa import RasaClient
from store.agents import create_agent
from store.db import make_engine, migrate, session_factory
from store.models import HandoffSession, Message
from tests.support.waiting import wait_until_async

Handler = Callable[[httpx.Request], httpx.Response]


def handoff_reply(conversation: str) -> dict[str, Any]:
    payload = HandoffPayload(
        conversation_id=conversation,
        reason="user_request",
        language="en",
        summary="asked for a human",
        created_at="2026-11-23T10:00:00+00:00",
    )
    return {"recipient_id": conversation, "custom": payload.as_message()}


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'router.db'}")
    migrate(engine)
    return session_factory(engine)


class RecordingHub(EventHub):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, topic: str, event: dict[str, Any], event_id: int | None = None) -> None:
        self.published.append((topic, event))
        super().publish(topic, event, event_id)


class Harness:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        handler: Handler,
        agent_online: bool = True,
        actions_up: bool = True,
    ) -> None:
        self.rasa_calls: list[dict[str, Any]] = []

        def recording(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/health":
                return httpx.Response(200 if actions_up else 503)
            self.rasa_calls.append(json.loads(request.content))
            return handler(request)

        client = httpx.AsyncClient(transport=httpx.MockTransport(recording))
        self.chat = CollectingConnector()
        self.sessions = sessions
        self.hub = RecordingHub()
        if agent_online:
            with sessions.begin() as db:
                agent = create_agent(db, "a@example.com", "A", "long enough password")
                agent.presence, agent.last_seen_at = "online", utcnow()
        settings = DeskSettings(agent_hours="00:00-24:00", secret="s" * 32)
        rasa = RasaClient("http://rasa.test", client=client, actions_url="http://actions.test")
        self.parts = assemble(sessions, self.hub, settings, ServiceSettings(), rasa)
        self.parts.outbox.connectors["webchat"] = self.chat
        self.router = self.parts.router

    def say(self, text: str, user: str = "u1", language: str | None = None) -> list[Any]:
        message = InboundMessage(channel="webchat", user_id=user, text=text, language=language)
        return asyncio.run(self.router.handle(message)).replies

    def desk_messages(self) -> list[str]:
        return [e["message"]["text"] for t, e in self.hub.published if e["type"] == "message"]

    def stored(self) -> list[tuple[str, str]]:
        with self.sessions() as db:
            return [
                (m.author, m.text)
                for m in db.execute(select(Message).order_by(Message.id)).scalars()
            ]

    def open_sessions(self) -> list[HandoffSession]:
        with self.sessions() as db:
            return list(db.execute(select(HandoffSession)).scalars())


def test_bot_replies_are_stored_and_sent(sessions: sessionmaker[Session]) -> None:
    reply = [
        {
            "recipient_id": "webchat:u1",
            "text": "We're open 24/7",
            "buttons": [{"title": "Thanks", "payload": "/thanks"}],
        }
    ]
    h = Harness(sessions, lambda _: httpx.Response(200, json=reply))
    h.say("when are you open?", language="en-GB")
    assert h.rasa_calls[0]["sender"] == "webchat:u1"
    assert h.rasa_calls[0]["metadata"] == {"channel": "webchat", "language": "en-GB"}
    assert h.stored() == [("user", "when are you open?"), ("bot", "We're open 24/7")]
    assert h.chat.sent == [("u1", "We're open 24/7\n1. Thanks")]  # buttons fall back to text


def test_handoff_opens_one_session_and_then_the_bot_is_silent(
    sessions: sessionmaker[Session],
) -> None:
    replies = [
        {"recipient_id": "webchat:u1", "text": "Connecting you to a human."},
        handoff_reply("webchat:u1"),
    ]
    h = Harness(sessions, lambda _: httpx.Response(200, json=replies))
    h.say("human please")
    [session] = h.open_sessions()
    assert session.state == "queued" and session.reason == "user_request"
    assert session.kind == "chat"
    # The payload is not shown; the desk says where the user is in the queue.
    assert h.chat.sent[0] == ("u1", "Connecting you to a human.")
    assert "number 1 in line" in h.chat.sent[1][1] and len(h.chat.sent) == 2
    h.say("are you there?")
    assert len(h.rasa_calls) == 1  # a held conversation goes to the desk, not the bot
    assert h.desk_messages()[-1] == "are you there?"  # pushed to the consoles
    assert h.stored()[-1] == ("user", "are you there?")
    assert len(h.chat.sent) == 2


def test_a_redelivered_payload_is_still_one_session(sessions: sessionmaker[Session]) -> None:
    h = Harness(sessions, lambda _: httpx.Response(200, json=[handoff_reply("webchat:u1")]))
    h.say("human")
    with sessions.begin() as db:
        db.execute(select(HandoffSession)).scalar_one().state = "resolved"
    h.say("human again")  # Rasa sends the same payload (same created_at) again
    assert len(h.open_sessions()) == 1


@pytest.mark.parametrize(
    "failure",
    [
        lambda _: httpx.Response(500, text="boom"),
        lambda _: httpx.Response(200, text="{not json"),
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
    ],
)
def test_rasa_down_keeps_the_message_tells_the_user_and_hands_off(
    sessions: sessionmaker[Session], failure: Handler
) -> None:
    h = Harness(sessions, failure)
    h.say("我的USDT没到账")
    assert h.stored()[0] == ("user", "我的USDT没到账")
    assert "人工客服" in h.chat.sent[0][1]
    [session] = h.open_sessions()
    assert (session.reason, session.priority, session.language) == ("bot_unavailable", "high", "zh")


def test_an_oversize_message_is_kept_but_refused_clearly(sessions: sessionmaker[Session]) -> None:
    h = Harness(sessions, lambda _: httpx.Response(200, json=[]))
    text = "x" * (MAX_TEXT + 1)
    h.say(text, language="es")
    assert h.rasa_calls == []
    assert h.stored()[0] == ("user", text)
    assert "demasiado largo" in h.chat.sent[0][1]


def test_action_server_down_is_told_and_handed_off(sessions: sessionmaker[Session]) -> None:
    """Rasa answers with its error reply (utter_default) and the action server is down."""
    fallback = [
        {"recipient_id": "webchat:u1", "text": "Sorry, I couldn't handle that"},
        {"recipient_id": "webchat:u1", "custom": {"outcome": "fallback"}},
    ]
    h = Harness(sessions, lambda _: httpx.Response(200, json=fallback), actions_up=False)
    h.say("where is my money", language="en")
    assert "having trouble" in h.chat.sent[0][1]
    [session] = h.open_sessions()
    assert session.reason == "bot_unavailable"


def test_a_plain_fallback_is_only_counted(sessions: sessionmaker[Session]) -> None:
    fallback = [
        {"recipient_id": "webchat:u1", "text": "Could you say it another way?"},
        {"recipient_id": "webchat:u1", "custom": {"outcome": "fallback"}},
    ]
    h = Harness(sessions, lambda _: httpx.Response(200, json=fallback))
    h.say("blorp", language="en")
    assert h.chat.sent == [("u1", "Could you say it another way?")]  # the marker is not shown
    assert h.open_sessions() == []
    assert REGISTRY.get_sample_value("support_bot_turns_total", {"outcome": "fallback"})


def test_replies_keep_their_order_under_concurrent_messages(
    sessions: sessionmaker[Session],
) -> None:
    arrived: list[str] = []

    async def slow_first(request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["message"]
        arrived.append(text)
        if text == "first":
            await asyncio.sleep(0.2)  # a slow turn: "second" would overtake it if allowed
        return httpx.Response(200, json=[{"recipient_id": "webchat:u1", "text": f"re: {text}"}])

    h = Harness(sessions, lambda _: httpx.Response(200, json=[]))
    client = httpx.AsyncClient(transport=httpx.MockTransport(slow_first))
    h.router._rasa = RasaClient("http://rasa.test", client=client)

    async def both() -> None:
        first = InboundMessage(channel="webchat", user_id="u1", text="first")
        second = InboundMessage(channel="webchat", user_id="u1", text="second")
        task = asyncio.ensure_future(h.router.handle(first))
        # "second" comes in while "first" is with Rasa.
        await wait_until_async(lambda: arrived, 5, "the first message never reached Rasa")
        await asyncio.gather(task, h.router.handle(second))

    asyncio.run(both())
    assert [text for _, text in h.chat.sent] == ["re: first", "re: second"]


class FlakyConnector(CollectingConnector):
    """Refuses while ``reachable`` is False, like WeChat outside its 48-hour window."""

    def __init__(self) -> None:
        super().__init__()
        self.reachable = True
        self.broken = False

    async def send_text_message(self, user_id: str, text: str) -> None:
        if self.broken:
            raise DeliveryFailed("HTTP 502 from the platform")
        if not self.reachable:
            raise Undeliverable("the user can't be reached until they write again")
        await super().send_text_message(user_id, text)


def test_kept_replies_go_out_when_the_user_writes_again(sessions: sessionmaker[Session]) -> None:
    h = Harness(sessions, lambda r: httpx.Response(200, json=[{"text": "ok"}]))
    flaky = FlakyConnector()
    h.parts.outbox.connectors["webchat"] = flaky
    h.say("hello", language="en")
    flaky.reachable = False
    outbox = h.parts.outbox
    asyncio.run(outbox.deliver("webchat:u1", [OutboundMessage(text="agent: found it")], "agent"))
    with sessions() as db:
        kept = db.execute(select(Message).where(Message.text == "agent: found it")).scalar_one()
        assert kept.delivery == "undelivered" and "write again" in kept.delivery_error
    assert [e for _, e in h.hub.published if e["type"] == "delivery"] == []  # no session: no desk
    flaky.reachable = True
    h.say("any news?", language="en")
    assert [text for _, text in flaky.sent] == ["ok", "agent: found it", "ok"]
    with sessions() as db:
        assert db.get(Message, kept.id).delivery is None


def test_a_failed_send_is_marked_for_the_agent(sessions: sessionmaker[Session]) -> None:
    h = Harness(sessions, lambda r: httpx.Response(200, json=[{"text": "ok"}]))
    flaky = FlakyConnector()
    flaky.broken = True
    h.parts.outbox.connectors["webchat"] = flaky
    h.say("hello", language="en")
    with sessions() as db:
        reply = db.execute(select(Message).where(Message.author == "bot")).scalar_one()
        assert reply.delivery == "failed" and "502" in reply.delivery_error
