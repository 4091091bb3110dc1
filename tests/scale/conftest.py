"""The scale-out proof's shared cluster: 2 gateways, 2 Rasa servers and the action
server over PostgreSQL and Redis, started with the operator's role commands
(``scripts/serve.sh``), with the Telegram and WeChat fakes configured, and nginx
(``deploy/nginx.conf``) in front of the gateways for the tests that want it.

Started once for the package. The tests run in any order: each looks only at its own
conversations, and what the kill test killed is started again before the next test.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import telegram as tg
from tests.fakes import wechat as wx
from tests.support import cluster as c
from tests.support.cluster import Running
from tests.support.services import service_missing


@pytest.fixture(scope="package")
def platforms() -> Iterator[tuple[tg.BotApi, wx.WeChatApi]]:
    """The Telegram and WeChat fakes the cluster's gateways talk to."""
    telegram, wechat = tg.BotApi(), wx.WeChatApi()
    yield telegram, wechat
    telegram.close()
    wechat.close()


@pytest.fixture(scope="package")
def two_by_two(
    tmp_path_factory: pytest.TempPathFactory, platforms: tuple[tg.BotApi, wx.WeChatApi]
) -> Iterator[Running]:
    missing = c.services_up()
    if missing:
        service_missing(missing)
    telegram, wechat = platforms
    channels = {
        "TELEGRAM_TOKEN": tg.TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": tg.SECRET,
        "TELEGRAM_BASE_URL": f"{telegram.url}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{telegram.url}/file/bot",
        "WECHAT_APP_ID": wx.APP_ID,
        "WECHAT_APP_SECRET": "scale-secret",
        "WECHAT_TOKEN": wx.TOKEN,
        "WECHAT_API_BASE": wechat.url,
        # 200 conversations at once queue up at two Rasa servers on two cores.
        "DESK_RASA_TIMEOUT_SECONDS": "60",
    }
    with c.cluster(tmp_path_factory.mktemp("cluster"), 2, channels) as started:
        yield started


@pytest.fixture
def running(two_by_two: Running) -> Running:
    """The shared cluster with every process up: what an earlier test killed (the
    kill test) is started again on its port first, so the tests run in any order."""
    group, gateways, rasas = two_by_two
    for processes in (gateways, rasas):
        for index, process in enumerate(processes):
            if process.popen.poll() is not None:
                processes[index] = group.restart(process)
    return two_by_two


@pytest.fixture(scope="package")
def balancer(
    two_by_two: Running,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """nginx with deploy/nginx.conf in front of both gateways."""
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        service_missing("nginx is not installed (apt-get install nginx-light)")
    with c.balancer(tmp_path_factory.mktemp("balancer"), two_by_two[1]) as url:
        yield url
