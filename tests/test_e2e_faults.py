"""The action server is down: the user still gets an honest reply and nothing is lost."""

from __future__ import annotations

import httpx
import pytest

from tests.support.servers import running_servers

pytestmark = pytest.mark.e2e


def test_action_server_down_gets_a_reply_and_keeps_the_message(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with running_servers(tmp_path_factory.mktemp("down"), with_actions=False) as servers:
        replies = servers.say("down-1", "what are your support hours")
        text = " ".join(r.get("text", "") for r in replies)
        assert "couldn't handle that message" in text
        assert '"human"' in text
        tracker = httpx.get(f"{servers.rasa_url}/conversations/down-1/tracker", timeout=30).json()
        said = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
        assert said == ["what are your support hours"]
