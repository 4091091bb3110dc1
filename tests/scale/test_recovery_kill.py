"""Recovery across real gateway processes (PostgreSQL, Redis, ``kill -9``), issue 17
items 6 and 7: Telegram and Rasa are played by fakes on loopback (no Rasa model: this
is about the gateways), and every message must be answered once, nothing pushed twice.

The worst moments are made by the fakes, not by hooks in the code: the fake Rasa
stalls a sender's first "stall" (a turn caught mid-way), and the fake Telegram holds a
push of a chosen text until released (a process caught mid-push); the process doing
it is found by its liveness name in the database and killed there.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import telegram as tg
from tests.fakes.rasa import FakeRasa, RasaServer
from tests.support.cluster import (
    AGENT_PASSWORD,
    Cluster,
    Process,
    create_agents,
    gateway_env,
    rows,
)
from tests.support.scale import unfinished, user_texts
from tests.support.services import (
    fresh_database,
    service_missing,
    services_up,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

RETRIES = 2  # DESK_TURN_RETRIES: recoveries before a turn is dead


class TwoReplies(FakeRasa):
    """Two replies a turn ("bot: …", "more: …"); "poison" sends a broken handoff."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        text, sender = body["message"], body["sender"]
        if text == "poison":  # a bot bug: the gateway fails the turn every time
            self.calls.append(body)
            return httpx.Response(200, json=[{"recipient_id": sender, "custom": {"handoff": 1}}])
        answer = super().__call__(request)
        extra = {"recipient_id": sender, "text": f"more: {text}"}
        return httpx.Response(200, json=[*json.loads(answer.content), extra])


class HoldingApi(tg.BotApi):
    """The fake Bot API; a push whose text is in ``hold`` waits until ``release`` and
    then fails, never counted as sent (its process is dead by then)."""

    def __init__(self) -> None:
        super().__init__()
        self.hold: set[str] = set()
        self.fail_first: dict[str, int] = {}  # text -> how many pushes of it get a 502
        self.held: list[str] = []
        self.release = threading.Event()
        self.held_from: list[int] = []  # the local port each held push came from
        self._count = threading.Lock()
        self._peer = threading.local()
        base, peer = self.server.RequestHandlerClass, self._peer

        class Noting(base):  # type: ignore[valid-type,misc]
            def do_POST(self) -> None:
                peer.port = self.client_address[1]
                super().do_POST()

        self.server.RequestHandlerClass = Noting

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        text = str(params.get("text", ""))
        with self._count:
            refuse = method == "sendMessage" and self.fail_first.get(text, 0) > 0
            if refuse:
                self.fail_first[text] -= 1
        if refuse:
            return 502, None
        if method == "sendMessage" and text in self.hold and not self.release.is_set():
            self.held_from.append(int(getattr(self._peer, "port", 0)))
            self.held.append(text)
            self.release.wait(120)
            return 502, None
        return super().answer(method, params)

    def sent_to(self, chat: int) -> list[str]:
        return [
            str(p["text"])
            for m, p in list(self.calls)
            if m == "sendMessage" and int(p["chat_id"]) == chat
        ]


Setup = tuple[Cluster, list[Process], HoldingApi, RasaServer]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    missing = services_up()
    if missing:
        service_missing(missing)
    # A stalled call is never answered within the test (nor recorded as a call).
    api, rasa = HoldingApi(), RasaServer(stall_seconds=600)
    rasa.rasa = TwoReplies()
    with fresh_database() as database_url:
        env = gateway_env(
            database_url,
            rasa.url,
            DESK_RECOVERY_SECONDS="1",
            DESK_TURN_RETRIES=str(RETRIES),
            DESK_TURN_RETRY_SECONDS="1",
            DESK_DELIVERY_RETRY_SECONDS="1",
            DESK_RASA_TIMEOUT_SECONDS="120",  # a stalled turn stays stalled
            TELEGRAM_TOKEN=tg.TOKEN,
            TELEGRAM_WEBHOOK_SECRET=tg.SECRET,
            TELEGRAM_BASE_URL=f"{api.url}/bot",
            TELEGRAM_BASE_FILE_URL=f"{api.url}/file/bot",
            TELEGRAM_SEND_RETRIES="1",
            TELEGRAM_RETRY_SECONDS="0.1",
        )
        group = Cluster(env, tmp_path_factory.mktemp("recovery"))
        try:
            migrate = group.start("migrate")
            if migrate.popen.wait(timeout=120) != 0:
                raise AssertionError(f"migrate failed:\n{migrate.tail()}")
            gateways = [group.start("gateway") for _ in range(3)]
            for process in gateways:
                group.wait(process)
            yield group, gateways, api, rasa
        finally:
            group.stop()
            api.close()
            rasa.close()


@pytest.fixture
def running(setup: Setup) -> Setup:
    """Every gateway up (an earlier test killed some), and the fakes reset."""
    group, gateways, api, _rasa = setup
    for index, process in enumerate(gateways):
        if process.popen.poll() is not None:
            gateways[index] = group.restart(process)
    api.hold.clear()
    api.fail_first.clear()
    api.release.clear()
    api.held.clear()
    api.held_from.clear()
    return setup


def post(gateway: Process, update_id: int, chat: int, text: str) -> httpx.Response:
    body = tg.update(update_id, message=tg.message(text, chat=chat, language="en"))
    headers = {"X-Telegram-Bot-Api-Secret-Token": tg.SECRET}
    return httpx.post(f"{gateway.url}/telegram/webhook", json=body, headers=headers, timeout=35)


def kill_pushing(gateways: list[Process], api: HoldingApi) -> None:
    """Kill the gateway whose push the fake Telegram holds: the one that owns the
    connection it came from (found in /proc, whatever the code under test records)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == api.held_from[-1]:
                inodes.add(f"socket:[{fields[9]}]")
    for gateway in gateways:
        fds = Path(f"/proc/{gateway.popen.pid}/fd")
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in fds.iterdir()):
                gateway.kill()
                return
    raise AssertionError("no gateway owns the held push's connection")


def settled(url: str, conversation: str) -> None:
    wait_until(lambda: not unfinished(url, [conversation]), 90, f"{conversation} unfinished")
    wait_until(
        lambda: (
            not rows(
                url,
                "SELECT id FROM handoff_messages WHERE conversation_id = :c AND delivery = 'sending'",
                c=conversation,
            )
        ),
        60,
        f"{conversation}'s replies never all sent",
    )


def test_a_gateway_killed_while_pushing_a_recovered_turns_answer_pushes_nothing_twice(
    running: Setup,
) -> None:
    group, gateways, api, rasa = running
    url, chat = group.env["DATABASE_URL"], 6001
    conversation = f"telegram:{chat}"
    api.hold.add("more: stall")
    with ThreadPoolExecutor(1) as pool:
        doomed = pool.submit(post, gateways[0], 60001, chat, "stall")
        wait_until(lambda: conversation in rasa.stalled, 30, "the message never reached Rasa")
        gateways[0].kill()  # 1. the turn is left unfinished: another gateway recovers it
        with contextlib.suppress(httpx.HTTPError):
            doomed.result(timeout=40)
    # 2. ... and the recovering gateway is killed after its first reply went out,
    # while it pushes the second: the turn is recovered again, by the third.
    wait_until(lambda: api.held, 90, "the recovered turn's answer was never pushed")
    kill_pushing(gateways, api)
    api.release.set()
    settled(url, conversation)
    wait_until(lambda: "more: stall" in api.sent_to(chat), 30, "the second reply never went out")
    assert user_texts(url, conversation) == ["stall"]
    assert rasa.calls(conversation) == ["stall"]  # the first recovery's; not asked again
    assert api.sent_to(chat) == ["bot: stall", "more: stall"]


def test_a_resend_left_sending_by_a_dead_gateway_is_sent_once_by_another(
    running: Setup,
) -> None:
    group, gateways, api, rasa = running
    url, chat = group.env["DATABASE_URL"], 6002
    conversation = f"telegram:{chat}"
    # The first push fails; the retry job takes it ("sending", under its process), and
    # that push is held: its process is killed before it hears back.
    api.fail_first["bot: hello"] = 1
    api.hold.add("bot: hello")
    assert post(gateways[0], 60002, chat, "hello").status_code == 200
    wait_until(lambda: api.held, 60, "the failed reply was never retried")
    kill_pushing(gateways, api)
    api.release.set()
    settled(url, conversation)
    assert sorted(api.sent_to(chat)) == ["bot: hello", "more: hello"]
    assert rasa.calls(conversation) == ["hello"]
    [(delivery, attempts)] = rows(
        url,
        "SELECT delivery, attempts FROM handoff_messages WHERE conversation_id = :c "
        "AND text = 'bot: hello'",
        c=conversation,
    )
    assert delivery is None and attempts == 2  # the retry that died, and this one


def test_a_turn_that_fails_every_retry_is_dead_lettered_for_an_agent(running: Setup) -> None:
    group, gateways, api, rasa = running
    url, chat = group.env["DATABASE_URL"], 6003
    conversation = f"telegram:{chat}"
    response = post(gateways[1], 60003, chat, "poison")
    wait_until(lambda: not unfinished(url, [conversation]), 90, "the turn was never given up")
    # Run once, then recovered RETRIES times; never again.
    assert rasa.calls(conversation) == ["poison"] * (1 + RETRIES)
    [(delivery, error)] = rows(
        url,
        "SELECT delivery, delivery_error FROM handoff_messages "
        "WHERE conversation_id = :c AND author = 'user'",
        c=conversation,
    )
    assert delivery == "dead" and "could not answer" in error
    wait_until(lambda: api.sent_to(chat), 30, "the user was never told")
    assert "human agent will take over" in api.sent_to(chat)[0]
    [email] = create_agents(url, 1)
    base = gateways[2].url
    login = httpx.post(f"{base}/api/agent/login", json={"email": email, "password": AGENT_PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    queue = httpx.get(f"{base}/api/agent/sessions", params={"view": "queue"}, headers=headers)
    [session] = [s for s in queue.json()["sessions"] if s["conversation_id"] == conversation]
    assert session["reason"] == "bot_failed" and "bot_failed" in session["tags"]
    detail = httpx.get(f"{base}/api/agent/sessions/{session['id']}", headers=headers).json()
    [said] = [m for m in detail["messages"] if m["author"] == "user"]
    assert said["text"] == "poison" and said["delivery"] == "dead"
    assert response.status_code == 200  # stored: Telegram is done, whatever the turn does


def test_a_telegram_update_answered_200_then_killed_is_answered_once_by_a_survivor(
    running: Setup,
) -> None:
    group, gateways, api, rasa = running
    url, chat = group.env["DATABASE_URL"], 6004
    conversation = f"telegram:{chat}"
    # Answered while its turn is still waiting on the bot: stored is enough.
    response = post(gateways[0], 60004, chat, "stall")
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert unfinished(url, [conversation]) == [conversation]  # the bot has not answered yet
    wait_until(lambda: conversation in rasa.stalled, 30, "the message never reached Rasa")
    gateways[0].kill()
    # Telegram got its 200 and sends nothing again; a retry anyway is a duplicate.
    again = post(gateways[1], 60004, chat, "stall")
    assert again.json() == {"ok": True, "duplicate": True}
    settled(url, conversation)
    wait_until(lambda: len(api.sent_to(chat)) >= 2, 30, "the survivor never answered")
    assert user_texts(url, conversation) == ["stall"]
    assert rasa.calls(conversation) == ["stall"]  # the stalled call never answered
    assert api.sent_to(chat) == ["bot: stall", "more: stall"]
