"""A gateway killed with ``kill -9`` between the commit that stores a message and the
publish that announces it loses no push: real gateway processes over PostgreSQL and
Redis, Rasa played by a fake on loopback (no model: this is about the gateways).

Two gateways are started with the test hook that stands them still between the commit
and the publish (``handoff.relay.TEST_PAUSE``). An agent's reply committed by one, and
a user's message committed by the other, must each reach the page and the console
connected to a third gateway exactly once: the event was written in the transaction
that stored the message, and a survivor publishes it once the dead gateway's
liveness lease has lapsed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from handoff.relay import TEST_PAUSE
from tests.fakes.rasa import RasaServer
from tests.support.cluster import (
    AGENT_PASSWORD,
    Cluster,
    Process,
    create_agents,
    gateway_env,
    rows,
)
from tests.support.logs import Socket
from tests.support.services import (
    fresh_database,
    service_missing,
    services_up,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

TIMEOUT = 60.0  # a request's; the machine running the suite may be busy


@contextlib.contextmanager
def gateways(workdir: Path, rasa: RasaServer) -> Iterator[tuple[Cluster, list[Process], Process]]:
    """Two gateways that pause between commit and publish, and one that doesn't."""
    missing = services_up()
    if missing:
        service_missing(missing)
    with fresh_database() as database_url:
        env = gateway_env(database_url, rasa.url)
        group = Cluster(env, workdir)
        try:
            migrate = group.start("migrate")
            if migrate.popen.wait(timeout=120) != 0:
                raise AssertionError(f"migrate failed:\n{migrate.tail()}")
            paused = [group.start("gateway", **{TEST_PAUSE: "120"}) for _ in range(2)]
            survivor = group.start("gateway")
            for process in (*paused, survivor):
                group.wait(process)
            yield group, paused, survivor
        finally:
            group.stop()


def socket(url: str, path: str, token: str) -> Socket:
    opened = Socket(url.replace("http://", "ws://") + path, {"type": "auth", "token": token})
    assert opened.ready.wait(20), f"no 'ready' frame: closed with {opened.code}"
    return opened


def pushed(frames: list[dict[str, Any]], message_id: int) -> list[dict[str, Any]]:
    """The frames that carry message *message_id* (a page's or a console's)."""
    return [
        f
        for f in list(frames)
        if f.get("type") == "message" and (f.get("message") or {}).get("id") == message_id
    ]


def kill_when_paused(process: Process, post: Any) -> None:
    """Run *post* against *process*; kill -9 the process once it stands between its
    commit and its publish (the request then fails)."""
    log = process.log
    assert log is not None
    with ThreadPoolExecutor(1) as pool:
        doomed = pool.submit(post)
        wait_until(
            lambda: TEST_PAUSE in log.read_text(errors="replace"),
            60,
            "the paused gateway never reached the test pause",
        )
        process.kill()
        with pytest.raises(httpx.HTTPError):
            doomed.result(timeout=30)


def newest(url: str, conversation: str, author: str) -> int:
    found = rows(
        url,
        "SELECT max(id) FROM handoff_messages WHERE conversation_id = :c AND author = :a",
        c=conversation,
        a=author,
    )
    return int(found[0][0] or 0)


def all_sent(url: str) -> bool:
    """Every outbox event is marked sent (the survivor published the dead ones')."""
    left = rows(url, "SELECT count(*) FROM handoff_event_outbox WHERE sent_at IS NULL")
    return int(left[0][0]) == 0


def test_a_gateway_killed_between_commit_and_publish_loses_no_push_and_sends_none_twice(
    tmp_path: Path,
) -> None:
    rasa = RasaServer()
    try:
        with gateways(tmp_path, rasa) as (group, (first, second), survivor):
            url = group.env["DATABASE_URL"]
            b = survivor.url
            (email,) = create_agents(url, 1)

            # A visitor hands off to a human; the agent claims the chat. All on the
            # survivor, with the page and the console connected there.
            visitor = httpx.post(
                f"{b}/webchat/api/visitors", json={"language": "en"}, timeout=TIMEOUT
            ).json()
            user = {"Authorization": f"Bearer {visitor['token']}"}
            conversation = f"webchat:{visitor['user_id']}"
            page = socket(b, "/webchat/ws", visitor["token"])
            said = httpx.post(
                f"{b}/webchat/api/messages", json={"text": "human"}, headers=user, timeout=TIMEOUT
            )
            assert said.status_code == 200, said.text
            login = httpx.post(
                f"{b}/api/agent/login",
                json={"email": email, "password": AGENT_PASSWORD},
                timeout=TIMEOUT,
            ).json()
            agent = {"Authorization": f"Bearer {login['token']}"}
            console = socket(b, "/api/agent/ws", login["token"])
            queue = httpx.get(
                f"{b}/api/agent/sessions", params={"view": "queue"}, headers=agent, timeout=TIMEOUT
            )
            (session,) = [
                s for s in queue.json()["sessions"] if s["conversation_id"] == conversation
            ]
            claimed = httpx.post(
                f"{b}/api/agent/sessions/{session['id']}/claim", headers=agent, timeout=TIMEOUT
            )
            assert claimed.status_code == 200, claimed.text

            # 1. The agent's reply is committed by the first gateway, which is killed
            # before it publishes: the page and the console on the survivor get it.
            kill_when_paused(
                first,
                lambda: httpx.post(
                    f"{first.url}/api/agent/sessions/{session['id']}/messages",
                    json={"text": "agent reply the dying gateway stored"},
                    headers=agent,
                    timeout=TIMEOUT,
                ),
            )
            reply = newest(url, conversation, "agent")
            assert reply, "the reply was not committed before the kill"
            wait_until(
                lambda: pushed(page.frames, reply),
                120,
                lambda: f"the page never got the dead gateway's reply: {page.frames}",
            )
            wait_until(
                lambda: pushed(console.frames, reply),
                30,
                lambda: f"the console never got the dead gateway's reply: {console.frames}",
            )

            # 2. The user's next message (from another tab) is committed by the second
            # gateway, killed before it publishes: the console and the page on the
            # survivor get it.
            kill_when_paused(
                second,
                lambda: httpx.post(
                    f"{second.url}/webchat/api/messages",
                    json={"text": "a message the dying gateway stored"},
                    headers=user,
                    timeout=TIMEOUT,
                ),
            )
            message = newest(url, conversation, "user")
            assert message, "the user's message was not committed before the kill"
            wait_until(
                lambda: pushed(console.frames, message),
                120,
                lambda: f"the console never got the dead gateway's message: {console.frames}",
            )
            wait_until(
                lambda: pushed(page.frames, message),
                30,
                lambda: f"the other tab never got the dead gateway's message: {page.frames}",
            )

            # Nothing comes twice, not even once everything is marked sent and the
            # relay has had its turns again.
            wait_until(lambda: all_sent(url), 60, "events left unsent")
            time.sleep(5)  # two more relay periods: a second copy would have come
            assert len(pushed(page.frames, reply)) == 1, page.frames
            assert len(pushed(console.frames, reply)) == 1, console.frames
            assert len(pushed(console.frames, message)) == 1, console.frames
            assert len(pushed(page.frames, message)) == 1, page.frames
            page.close()
            console.close()
    finally:
        rasa.close()
