"""A fresh stack's first form turn doesn't build anything (issue 20, "noticed"): the
action server and Rasa build the spaCy pipelines of every language, and load the time
parser, before they accept a request (bot/warm.py). Each check runs in a fresh process,
as a server starts; the pipelines are process-wide, built once (lru_cache)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support import ROOT
from tests.support.model import trained_model

SHOW = (
    "import json, sys\n"
    "from bot.nlu.pipelines import pipeline\n"
    "print(json.dumps({'pipelines': pipeline.cache_info().currsize,"
    " 'dateparser': 'dateparser' in sys.modules}))\n"
)


def fresh_process(code: str, **env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code + SHOW],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_action_server_builds_them_when_it_starts() -> None:
    # What `rasa run actions --actions bot.actions` does first: import the package.
    assert fresh_process("import bot.actions\n", BOT_PRELOAD_KB="1") == {
        "pipelines": 3,
        "dateparser": True,
    }


def test_the_rasa_server_parses_every_language_before_it_listens() -> None:
    # Sanic runs load_agent_on_start before the server listens; bot.rasa_server wraps it.
    model = trained_model()
    code = (
        "import asyncio, types\n"
        "import rasa.core.run\n"
        "from rasa.core.utils import AvailableEndpoints\n"
        "from bot import rasa_server\n"
        "rasa_server.install()\n"
        "app = types.SimpleNamespace(ctx=types.SimpleNamespace())\n"
        "agent = asyncio.run(rasa.core.run.load_agent_on_start("
        f"{str(model)!r}, AvailableEndpoints(), None, app, None))\n"
        "assert agent.is_ready() and app.ctx.agent is agent\n"
    )
    shown = fresh_process(code)
    assert shown["pipelines"] == 3
