"""A WeChat push whose gateway is killed with ``kill -9`` is answered once, by WeChat's
retry to another gateway: real gateway processes over PostgreSQL and Redis, WeChat and
Rasa played by fakes on loopback (no Rasa model: this is about the gateways).

WeChat waits 5 s for an answer, then sends the same MsgId again (three tries in all,
within about 15 s). A gateway killed before the message was stored must leave the
retry free to be processed; one killed after must leave it a duplicate, its turn
finished by another gateway's recovery, with nothing pushed twice.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from connectors.wechat._routes import TEST_PAUSE
from tests.fakes import wechat as wx
from tests.fakes.rasa import RasaServer
from tests.support.cluster import Cluster, Process, gateway_env
from tests.support.scale import unfinished, user_texts
from tests.support.services import (
    fresh_database,
    service_missing,
    services_up,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

WECHAT_WAITS = 5.0  # seconds WeChat waits for an answer before it retries


@contextlib.contextmanager
def gateways(
    workdir: Path, api: wx.WeChatApi, rasa: RasaServer
) -> Iterator[tuple[Cluster, Process, Process, Process]]:
    """Three gateways; the first pauses every push before storing it (the test hook)."""
    missing = services_up()
    if missing:
        service_missing(missing)
    with fresh_database() as database_url:
        env = gateway_env(
            database_url,
            rasa.url,
            WECHAT_APP_ID=wx.APP_ID,
            WECHAT_APP_SECRET="kill-secret",
            WECHAT_TOKEN=wx.TOKEN,
            WECHAT_API_BASE=api.url,
        )
        group = Cluster(env, workdir)
        try:
            migrate = group.start("migrate")
            if migrate.popen.wait(timeout=120) != 0:
                raise AssertionError(f"migrate failed:\n{migrate.tail()}")
            paused = group.start("gateway", **{TEST_PAUSE: "120"})
            first, second = group.start("gateway"), group.start("gateway")
            for process in (paused, first, second):
                group.wait(process)
            yield group, paused, first, second
        finally:
            group.stop()


def push(gateway: Process, body: str, timeout: float = 30.0) -> httpx.Response:
    """One delivery of *body*, as WeChat makes it: a fresh signed URL, the same MsgId."""
    params = wx.query(wx.unique_nonce())
    return httpx.post(f"{gateway.url}/wechat", params=params, content=body, timeout=timeout)


def answers(response_texts: list[str], api: wx.WeChatApi, openid: str) -> list[str]:
    """Everything *openid* was sent: passive replies and customer-service messages."""
    passive = [t for t in response_texts if f"<ToUserName><![CDATA[{openid}]]>" in t]
    service = [m["text"]["content"] for m in api.sent if m.get("touser") == openid]
    return passive + service


def test_a_gateway_killed_around_storing_a_wechat_push_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path,
) -> None:
    api, rasa = wx.WeChatApi(), RasaServer()
    try:
        with gateways(tmp_path, api, rasa) as (group, paused, first, second):
            url = group.env["DATABASE_URL"]

            # 1. Killed after the push arrived, before its message was stored.
            before = wx.xml("text", 88001, "oKilledBefore", Content="你好")
            log = paused.log
            assert log is not None
            with ThreadPoolExecutor(1) as pool:
                doomed = pool.submit(push, paused, before, WECHAT_WAITS)
                wait_until(
                    lambda: TEST_PAUSE in log.read_text(errors="replace"),
                    30,
                    "the paused gateway never reached the test pause",
                )
                paused.kill()
                with pytest.raises(httpx.HTTPError):
                    doomed.result(timeout=30)
            early = [push(first, before).text]  # WeChat's second try, to another gateway
            early.append(push(second, before).text)  # … and its third
            conversation = "wechat:oKilledBefore"
            wait_until(
                lambda: answers(early, api, "oKilledBefore"),
                20,
                "the retry of a push whose gateway died before storing it was never answered",
            )
            assert user_texts(url, conversation) == ["你好"]
            assert rasa.calls(conversation) == ["你好"]
            assert "bot: 你好" in answers(early, api, "oKilledBefore")[0]

            # 2. Killed after the message was stored, while the bot was answering it.
            after = wx.xml("text", 88002, "oKilledAfter", Content="stall")
            conversation = "wechat:oKilledAfter"
            with ThreadPoolExecutor(1) as pool:
                doomed = pool.submit(push, second, after, WECHAT_WAITS)
                # Rasa is asked while the message is being stored (gateway.early): both,
                # before the kill. (Killed before the commit: tests/scale/test_early_kill.py.)
                wait_until(
                    lambda: conversation in rasa.stalled and user_texts(url, conversation),
                    30,
                    "the stored message never reached Rasa",
                )
                second.kill()
                with pytest.raises(httpx.HTTPError):
                    doomed.result(timeout=30)
            late = [push(first, after).text, push(first, after).text]
            assert late == ["success", "success"]  # stored before: duplicates
            # The dead gateway's turn is taken over once its liveness lease lapses.
            wait_until(
                lambda: not unfinished(url, [conversation]),
                60,
                "the dead gateway's stored turn was never finished",
            )
            wait_until(lambda: answers(late, api, "oKilledAfter"), 20, "never answered")
            assert user_texts(url, conversation) == ["stall"]
            assert "bot: stall" in answers(late, api, "oKilledAfter")[0]

            # 3. The same MsgId at two live gateways at once: processed once.
            both = [wx.xml("text", 88100 + i, f"oBoth{i}", Content=f"hello {i}") for i in range(5)]
            again = group.restart(second)
            with ThreadPoolExecutor(10) as pool:
                futures = [pool.submit(push, g, b) for b in both for g in (first, again)]
                texts = [f.result().text for f in futures]
            for i in range(5):
                conversation = f"wechat:oBoth{i}"
                wait_until(
                    lambda c=conversation: not unfinished(url, [c]),
                    30,
                    f"{conversation} unfinished",
                )
                assert user_texts(url, conversation) == [f"hello {i}"]
                assert rasa.calls(conversation) == [f"hello {i}"]
                assert len(answers(texts, api, f"oBoth{i}")) == 1

            # Nothing goes out later either (a late reply or a recovered duplicate).
            time.sleep(3)  # the real-time window a second push would need
            assert len(answers(early, api, "oKilledBefore")) == 1
            assert len(answers(late, api, "oKilledAfter")) == 1
            for i in range(5):
                assert len(answers(texts, api, f"oBoth{i}")) == 1
    finally:
        api.close()
        rasa.close()
