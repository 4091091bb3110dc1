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
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors import MAX_TEXT, CollectingConnector, InboundMessage, RasaClient, Router
from handoff.db import make_engine, migrate, session_factory
from handoff.models import HandoffSession, Message
from handoff.payload import HandoffPayload

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


class Harness:
    def __init__(self, sessions: sessionmaker[Session], handler: Handler) -> None:
        self.rasa_calls: list[dict[str, Any]] = []
        self.desk: list[tuple[str, int | None]] = []

        def recording(request: httpx.Request) -> httpx.Response:
            self.rasa_calls.append(json.loads(request.content))
            return handler(request)

        client = httpx.AsyncClient(transport=httpx.MockTransport(recording))
        self.chat = CollectingConnector()
        self.sessions = sessions

        async def notify(conversation: str, session_id: int | None) -> None:
            self.desk.append((conversation, session_id))

        self.router = Router(
            sessions, RasaClient("http://rasa.test", client=client), {"webchat": self.chat}, notify
        )

    def say(self, text: str, user: str = "u1", language: str | None = None) -> list[Any]:
        message = InboundMessage(channel="webchat", user_id=user, text=text, language=language)
        return asyncio.run(self.router.handle(message))

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
    assert h.desk == [("webchat:u1", session.id)]
    assert h.chat.sent == [("u1", "Connecting you to a human.")]  # the payload is not shown
    h.say("are you there?")
    assert len(h.rasa_calls) == 1  # a held conversation goes to the desk, not the bot
    assert h.desk[-1] == ("webchat:u1", session.id)
    assert h.stored()[-1] == ("user", "are you there?")
    assert len(h.chat.sent) == 1


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
    assert h.stored() == [("user", text)]
    assert "demasiado largo" in h.chat.sent[0][1]
