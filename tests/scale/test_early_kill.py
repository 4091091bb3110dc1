"""A gateway killed after Rasa answered a web chat message, before the transaction
storing that message committed (``gateway.early``: Rasa is asked while it is stored).

Nothing was stored, so nothing is recovered; the page's resend (same client id, to
another gateway) is stored once and answered once; and no reply reaches the page or
the history without the message it answers. Real gateway processes over PostgreSQL
and Redis, Rasa played by a fake on loopback.

The window is made by the database, not by a hook in the code: the test holds the
conversation's row ``FOR NO KEY UPDATE``, so the transaction storing the message
waits at its update of the conversation, while its insert, Rasa and the reply's
transaction (which only insert rows) are not held up.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy

from tests.fakes.rasa import RasaServer
from tests.support.cluster import Cluster, Process, gateway_env, rows
from tests.support.scale import unfinished, user_texts
from tests.support.services import fresh_database, service_missing, services_up
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

ALIVE_SECONDS = 4  # a dead gateway's turns are recovered once its lease lapses


@pytest.fixture
def gateways(tmp_path: Path) -> Iterator[tuple[str, RasaServer, Process, Process]]:
    missing = services_up()
    if missing:
        service_missing(missing)
    rasa = RasaServer()
    with fresh_database() as database_url:
        env = gateway_env(
            database_url,
            rasa.url,
            DESK_ALIVE_SECONDS=str(ALIVE_SECONDS),
            DESK_RECOVERY_SECONDS="1",
        )
        group = Cluster(env, tmp_path)
        try:
            migrate = group.start("migrate")
            if migrate.popen.wait(timeout=120) != 0:
                raise AssertionError(f"migrate failed:\n{migrate.tail()}")
            doomed, survivor = group.start("gateway"), group.start("gateway")
            for process in (doomed, survivor):
                group.wait(process)
            yield database_url, rasa, doomed, survivor
        finally:
            group.stop()
            rasa.close()


def replies(url: str, conversation: str) -> list[str]:
    return [
        r[0]
        for r in rows(
            url,
            "SELECT text FROM handoff_messages WHERE conversation_id = :c "
            "AND author <> 'user' ORDER BY id",
            c=conversation,
        )
    ]


def test_a_gateway_killed_after_rasa_answered_before_the_message_was_stored(
    gateways: tuple[str, RasaServer, Process, Process],
) -> None:
    url, rasa, doomed, survivor = gateways
    visitor = httpx.post(f"{doomed.url}/webchat/api/visitors", json={}, timeout=30).json()
    headers = {"Authorization": f"Bearer {visitor['token']}"}
    conversation = f"webchat:{visitor['user_id']}"

    def say(gateway: Process, text: str, client_id: str) -> httpx.Response:
        body = {"text": text, "language": "en", "client_id": client_id}
        return httpx.post(
            f"{gateway.url}/webchat/api/messages", json=body, headers=headers, timeout=60
        )

    assert say(doomed, "hello", "first-message").status_code == 200  # the conversation's row exists
    engine = sqlalchemy.create_engine(url, future=True)
    try:
        with engine.connect() as locker, ThreadPoolExecutor(1) as pool:
            held = locker.begin()
            locker.execute(
                sqlalchemy.text(
                    "SELECT id FROM handoff_conversations WHERE id = :c FOR NO KEY UPDATE"
                ),
                {"c": conversation},
            )
            posted = pool.submit(say, doomed, "second", "second-message")
            wait_until(
                lambda: rasa.calls(conversation) == ["hello", "second"], 30, "Rasa never asked"
            )
            time.sleep(1.0)  # Rasa's answer is back: time enough to store it and return it
            doomed.kill()
            answered: httpx.Response | None = None
            with contextlib.suppress(httpx.HTTPError):
                answered = posted.result(timeout=30)
            held.rollback()
    finally:
        engine.dispose()
    # The page got nothing: an answer to a message that was never stored would be lost
    # from the history, and the page would not send the message again.
    assert answered is None, f"answered before the message was stored: {answered.text}"
    assert user_texts(url, conversation) == ["hello"]
    assert replies(url, conversation) == ["bot: hello"]

    # The page sends it again, with the same client id, to the other gateway: a first
    # delivery (the dead one's key was never committed), stored and answered once.
    again = say(survivor, "second", "second-message")
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is False
    assert [r["text"] for r in again.json()["replies"]] == ["bot: second"]
    # Once the dead gateway's lease has lapsed, its recovery finds nothing to answer.
    time.sleep(ALIVE_SECONDS + 3)
    wait_until(lambda: not unfinished(url, [conversation]), 30, "a turn left pending")
    assert user_texts(url, conversation) == ["hello", "second"]
    assert replies(url, conversation) == ["bot: hello", "bot: second"]
    # Rasa saw "second" twice (the dead gateway's ask and the resend's), as it sees a
    # turn again that a gateway killed mid-turn leaves to the recovery job.
    assert rasa.calls(conversation) == ["hello", "second", "second"]
    history = httpx.get(f"{survivor.url}/webchat/api/messages", headers=headers, timeout=30)
    shown = [m["text"] for m in history.json()["messages"]]
    assert shown == ["hello", "bot: hello", "second", "bot: second"]
