"""Rasa asked while the user's message is still being stored (``gateway.early``): its
answer waits for the commit, a message held back from Rasa is never sent early, and a
turn cancelled in between leaves its stored message to the recovery job.

The store's transaction is held inside, just after its first query, until the test
lets it go: whatever the router does meanwhile is what it does before the commit."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common.messages import MAX_TEXT, InboundMessage
from gateway.early import straight_to_rasa
from guard import Verdict
from handoff.inbox import Look
from store.db import make_engine, migrate, read_sessions, session_factory
from store.models import Message
from tests.support.waiting import wait_until_async
from tests.test_router import Harness


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'early.db'}")
    migrate(engine)
    return session_factory(engine)


def held_store(h: Harness) -> threading.Event:
    """Hold the inbox's transaction after its first query until the event is set."""
    release = threading.Event()
    receive = h.parts.inbox._receive

    def holding(*args: Any) -> Any:
        *rest, seen = args

        def seen_then_wait(look: Look) -> None:
            seen(look)
            assert release.wait(10), "never released"

        return receive(*rest, seen_then_wait if seen is not None else None)

    h.parts.inbox._receive = holding  # type: ignore[method-assign]
    return release


def user_rows(sessions: sessionmaker[Session]) -> list[Message]:
    # A reader: SQLite's writers wait for the held transaction.
    with read_sessions(sessions.kw["bind"])() as db:
        query = select(Message).where(Message.author == "user").order_by(Message.id)
        return list(db.execute(query).scalars())


def test_rasa_answers_before_the_commit_and_its_reply_is_stored_after(
    sessions: sessionmaker[Session],
) -> None:
    stored_when_asked: list[int] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        stored_when_asked.append(len(user_rows(sessions)))
        release.set()  # the store goes on only once Rasa was asked
        return httpx.Response(200, json=[{"recipient_id": "webchat:u1", "text": "hi there"}])

    h = Harness(sessions, rasa)
    release = held_store(h)
    assert [r.text for r in h.say("hello", language="en")] == ["hi there"]
    assert stored_when_asked == [0]  # asked while the message was not stored yet
    [said] = user_rows(sessions)
    assert not said.pending
    with sessions() as db:
        [reply] = db.execute(select(Message).where(Message.author == "bot")).scalars()
    assert reply.reply_to == said.id and reply.id > said.id


@pytest.mark.parametrize(
    "text",
    [
        "abandon ability able about above absent absorb abstract absurd abuse access accident",
        "x" * (MAX_TEXT + 1),
    ],
    ids=["a recovery phrase", "too long"],
)
def test_a_message_held_back_from_rasa_is_not_sent_early(
    sessions: sessionmaker[Session], text: str
) -> None:
    h = Harness(sessions, lambda _: httpx.Response(200, json=[]))
    release = held_store(h)
    release.set()
    h.say(text, language="en")
    assert h.rasa_calls == []


def ordinary(**changes: Any) -> Verdict:
    verdict = Verdict("hello", breaks_run=True)
    for key, value in changes.items():
        setattr(verdict, key, value)
    return verdict


def test_only_a_message_that_goes_straight_to_rasa_is_sent_early() -> None:
    message = InboundMessage("webchat", "u1", "hello")
    free = Look(None, None, False, None)
    assert straight_to_rasa(message, ordinary(), free, False)
    held_back = [
        (message, ordinary(secrets=["phrase"]), free, False),
        (message, ordinary(fragment_words=3, breaks_run=False), free, False),
        (message, ordinary(ordinary_words=2, breaks_run=False), free, False),
        (message, ordinary(scam=True), free, False),
        (message, ordinary(), Look(7, None, False, 7), False),  # a human holds it
        (message, ordinary(), Look(None, 7, False, None), False),  # a rating is open
        (message, ordinary(), Look(None, None, True, None), False),  # kept replies first
        (message, ordinary(), free, True),  # email: a ticket
        (InboundMessage("webchat", "u1", "x" * (MAX_TEXT + 1)), ordinary(), free, False),
        (
            InboundMessage("webchat", "u1", "[file]", metadata={"file_only": True}),
            ordinary(),
            free,
            False,
        ),
    ]
    for case in held_back:
        assert not straight_to_rasa(*case), case


def test_a_turn_cancelled_while_its_message_is_stored_is_left_to_recovery(
    sessions: sessionmaker[Session],
) -> None:
    asked = threading.Event()

    def rasa(request: httpx.Request) -> httpx.Response:
        asked.set()
        return httpx.Response(200, json=[{"recipient_id": "webchat:u1", "text": "hi"}])

    h = Harness(sessions, rasa)
    release = held_store(h)

    async def run() -> None:
        message = InboundMessage("webchat", "u1", "hello", language="en")
        turn = asyncio.ensure_future(h.router.handle(message))
        await wait_until_async(asked.is_set, 10, "Rasa never asked")
        turn.cancel()
        with pytest.raises(asyncio.CancelledError):
            await turn
        release.set()

        def abandoned() -> bool:
            rows = user_rows(sessions)
            return bool(rows) and rows[0].handler is None

        await wait_until_async(abandoned, 10, "the stored message was not left to recovery")

    asyncio.run(run())
    [said] = user_rows(sessions)
    assert said.pending  # unanswered: the recovery job's now
    with sessions() as db:
        assert list(db.execute(select(Message).where(Message.author == "bot")).scalars()) == []
