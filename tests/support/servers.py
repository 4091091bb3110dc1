"""The real Rasa server, action server and (optionally) gateway, for end-to-end tests.

They run with ``PYTHONUNBUFFERED``: whatever a server writes is in its log file at
once, so a test can read the logs as soon as the turns that wrote them are done.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from common.payload import HandoffPayload
from tests.support import ROOT
from tests.support.model import trained_model
from tests.support.processes import BIN, Process, free_port, spawn, stop_all, wait_until_up
from tests.support.services import LOOPBACK_LIMITS


@dataclass
class Servers:
    rasa_url: str
    actions_url: str
    gateway_url: str = ""
    env: dict[str, str] | None = None
    pids: dict[str, int] = field(default_factory=dict)  # role -> process id (benchmarks)

    def say(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return list(response.json())


def text(replies: list[dict[str, Any]]) -> str:
    """The texts of Rasa's REST replies, one per line."""
    return "\n".join(r.get("text", "") for r in replies)


class WebChat:
    """``Servers.say``'s shape over the gateway: one web chat visitor per sender."""

    def __init__(self, servers: Servers, language: str) -> None:
        self.gateway, self.language = servers.gateway_url, language
        self.tokens: dict[str, str] = {}

    def say(
        self, sender: str, message: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        if sender not in self.tokens:
            visitor = httpx.post(
                f"{self.gateway}/webchat/api/visitors", json={"language": self.language}
            )
            self.tokens[sender] = visitor.json()["token"]
        sent = httpx.post(
            f"{self.gateway}/webchat/api/messages",
            json={"text": message, "language": self.language},
            headers={"authorization": f"Bearer {self.tokens[sender]}"},
            timeout=60,
        )
        sent.raise_for_status()
        return [{"text": r["text"]} for r in sent.json()["replies"]]


def payloads(replies: list[dict[str, Any]]) -> list[HandoffPayload]:
    """The handoff payloads among Rasa's REST replies."""
    return [
        HandoffPayload.from_message(r["custom"])
        for r in replies
        if "handoff" in r.get("custom", {})
    ]


@contextmanager
def running_servers(
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    with_actions: bool = True,
    with_gateway: bool = False,
    tree: Path = ROOT,
) -> Iterator[Servers]:
    """Rasa (and, unless ``with_actions`` is false, the action server) on free ports.

    With ``with_gateway`` the gateway runs too, on its own SQLite desk database in
    *workdir* (shared with the action server, which reads ticket status from it).
    Logs: ``actions.log``, ``rasa.log`` and ``gateway.log`` in *workdir*. *tree* is
    the checkout whose code runs (another revision's export, for a benchmark).
    """
    model = trained_model(tree)
    rasa_port, actions_port, gateway_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "RASA_TRACKER_DB": str(workdir / "tracker.db"),
        "BOT_PRELOAD_KB": "1",
        "HF_HUB_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{workdir / 'desk.db'}",
        "DESK_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "DESK_SECRET": "e2e-secret-that-is-at-least-32-bytes",
        "DESK_AGENT_HOURS": "00:00-24:00",
        **LOOPBACK_LIMITS,
        **({"PYTHONPATH": str(tree)} if tree != ROOT else {}),
        **(extra_env or {}),
    }
    # role, command, port, the path that answers 200 once it is up
    roles: list[tuple[str, list[str], int, str]] = [
        (
            "actions",
            [
                str(BIN / "rasa"),
                "run",
                "actions",
                "--actions",
                "bot.actions",
                "--port",
                str(actions_port),
            ],
            actions_port,
            "/health",
        ),
        (
            "rasa",
            [
                sys.executable,
                "-m",
                "bot.rasa_server",
                "run",
                "--model",
                str(model),
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                # Only for these tests, which read trackers and parse results back;
                # scripts/serve.sh (what operators run) leaves the API off.
                "--enable-api",
                "--interface",
                "127.0.0.1",
                "--port",
                str(rasa_port),
            ],
            rasa_port,
            "/status",
        ),
        (
            "gateway",
            [
                sys.executable,
                "-m",
                "gateway",
                "--port",
                str(gateway_port),
                "--actions-url",
                f"http://127.0.0.1:{actions_port}",
            ],
            gateway_port,
            "/health",
        ),
    ]
    if not with_actions:  # the action endpoint then points at a closed port
        roles = [r for r in roles if r[0] != "actions"]
    if not with_gateway:
        roles = [r for r in roles if r[0] != "gateway"]
    processes: list[Process] = []
    try:
        for role, command, port, _ in roles:
            processes.append(spawn(role, command, port, env, workdir / f"{role}.log", cwd=tree))
        for process, (*_, path) in zip(processes, roles, strict=True):
            wait_until_up(process, path, watch=processes)
        yield Servers(
            f"http://127.0.0.1:{rasa_port}",
            f"http://127.0.0.1:{actions_port}",
            f"http://127.0.0.1:{gateway_port}" if with_gateway else "",
            env,
            {process.role: process.popen.pid for process in processes},
        )
    finally:
        stop_all(processes)
