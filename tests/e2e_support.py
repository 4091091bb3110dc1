"""Start the real Rasa server and action server for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Servers:
    rasa_url: str
    actions_url: str
    gateway_url: str = ""
    env: dict[str, str] | None = None

    def say(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        response = httpx.post(f"{self.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
        response.raise_for_status()
        return list(response.json())


def _wait(url: str, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not come up in {STARTUP_SECONDS}s")


@contextmanager
def running_servers(
    workdir: Path,
    extra_env: dict[str, str] | None = None,
    with_actions: bool = True,
    with_gateway: bool = False,
) -> Iterator[Servers]:
    """Rasa (and, unless ``with_actions`` is false, the action server) on free ports.

    With ``with_gateway`` the gateway runs too, on its own SQLite desk database in
    *workdir* (shared with the action server, which reads ticket status from it).
    """
    model = (
        subprocess.run(
            [sys.executable, "-m", "bot.train"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    rasa_port, actions_port, gateway_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "RASA_TRACKER_DB": str(workdir / "tracker.db"),
        "BOT_PRELOAD_KB": "1",
        "HF_HUB_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "DATABASE_URL": f"sqlite:///{workdir / 'desk.db'}",
        "DESK_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "DESK_SECRET": "e2e-secret",
        "DESK_AGENT_HOURS": "00:00-24:00",
        **(extra_env or {}),
    }
    commands = [
        [
            str(BIN / "rasa"),
            "run",
            "actions",
            "--actions",
            "bot.actions",
            "--port",
            str(actions_port),
        ],
        [
            sys.executable,
            "-m",
            "bot.rasa_server",
            "run",
            "--model",
            model,
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "--enable-api",
            "--interface",
            "127.0.0.1",
            "--port",
            str(rasa_port),
        ],
    ]
    logs = [workdir / "actions.log", workdir / "rasa.log"]
    if with_gateway:
        commands.append(
            [
                sys.executable,
                "-m",
                "gateway",
                "--port",
                str(gateway_port),
                "--actions-url",
                f"http://127.0.0.1:{actions_port}",
            ]
        )
        logs.append(workdir / "gateway.log")
    if not with_actions:  # the action endpoint then points at a closed port
        commands, logs = commands[1:], logs[1:]
    processes = []
    try:
        for command, log in zip(commands, logs, strict=True):
            handle = log.open("wb")
            processes.append(
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
                )
            )
        if with_actions:
            _wait(f"http://127.0.0.1:{actions_port}/health", processes, logs)
        _wait(f"http://127.0.0.1:{rasa_port}/status", processes, logs)
        gateway_url = f"http://127.0.0.1:{gateway_port}" if with_gateway else ""
        if with_gateway:
            _wait(f"{gateway_url}/health", processes, logs)
        yield Servers(
            f"http://127.0.0.1:{rasa_port}",
            f"http://127.0.0.1:{actions_port}",
            gateway_url,
            env,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


class LocalServer(ThreadingHTTPServer):
    """A local stand-in for a remote API. The standard listen backlog of 5 would turn
    50 simultaneous clients into 1-second SYN retries, measuring the fake, not us."""

    request_queue_size = 256
    daemon_threads = True


def service_missing(reason: str) -> None:
    """Skip a test whose PostgreSQL or Redis is down, saying so; in CI, fail it.

    ``.ci/run`` sets ``REQUIRE_SERVICES``: CI must exercise both, never skip them.
    """
    import pytest

    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set: CI must exercise it)")
    pytest.skip(reason)
