"""Several gateway and Rasa processes over PostgreSQL and Redis, on loopback, and
nginx with ``deploy/nginx.conf`` in front of the gateways.

Each process is started with the operator's role command (``scripts/serve.sh``),
so the tests and the benchmark run exactly what the README and compose file run.
The clients that talk to them are in :mod:`tests.support.clients`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy

from tests.support import ROOT
from tests.support.model import trained_model
from tests.support.processes import (
    BIN,
    Process,
    free_port,
    spawn,
    stop_all,
    wait_until_up,
)
from tests.support.services import LOOPBACK_LIMITS, REDIS_URL, fresh_database, services_up

__all__ = [
    "AGENT_PASSWORD",
    "REDIS_URL",
    "Cluster",
    "Process",
    "Running",
    "balancer",
    "cluster",
    "create_agents",
    "gateway_env",
    "rows",
    "services_up",
]

SECRET = "cluster-test-secret-of-32-bytes-or-more"

AGENT_PASSWORD = "cluster-agent-password"
STARTUP_SECONDS = 400
# The path that answers 200 once a role is up. Rasa runs without its HTTP API
# (scripts/serve.sh), so its REST channel's own health route is the one to ask.
READY = {"actions": "/health", "rasa": "/webhooks/rest/", "gateway": "/health"}


def gateway_env(database_url: str, rasa_url: str, **extra: str) -> dict[str, str]:
    """The environment every gateway of a scale test starts with: the desk on
    *database_url* and Redis, always open, quick to notice a dead peer; *extra* on top."""
    return {
        **os.environ,
        "BIN": str(BIN),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DESK_RASA_URL": rasa_url,
        "ACTIONS_URL": "",
        "DESK_SECRET": SECRET,
        "DESK_AGENT_HOURS": "00:00-24:00",
        "DESK_ALIVE_SECONDS": "10",
        **LOOPBACK_LIMITS,
        **extra,
    }


@dataclass
class Cluster:
    env: dict[str, str]
    workdir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, role: str, port: int | None = None, **extra: str) -> Process:
        port = port or free_port()
        process = spawn(
            role,
            ["bash", "scripts/serve.sh", role],
            port,
            {**self.env, "PORT": str(port), "HOST": "127.0.0.1", **extra},
            self.workdir / f"{role}-{port}.log",
        )
        self.processes.append(process)
        return process

    def wait(self, process: Process) -> None:
        wait_until_up(process, READY[process.role], STARTUP_SECONDS)

    def restart(self, process: Process) -> Process:
        """Start *process*'s role again on its port (after a kill), and wait until it's up."""
        if process.popen.poll() is None:
            process.kill()
        again = self.start(process.role, process.port)
        self.wait(again)
        return again

    def stop(self) -> None:
        stop_all(self.processes, timeout=15)


Running = tuple[Cluster, list[Process], list[Process]]  # the cluster, its gateways, its Rasas


@contextlib.contextmanager
def cluster(
    workdir: Path, pairs: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Cluster, list[Process], list[Process]]]:
    """*pairs* Rasa servers and gateways, one action server, one fresh database.

    Yields the cluster, the gateways and the Rasa servers. Every gateway knows every
    Rasa server (a conversation keeps to one and fails over to the next).
    """
    trained_model()  # scripts/serve.sh rasa runs the model bot.train names
    with fresh_database() as database_url:
        actions_port = free_port()
        rasa_ports = [free_port() for _ in range(pairs)]
        env = gateway_env(
            database_url,
            ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports),
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{actions_port}/webhook",
            ACTIONS_URL=f"http://127.0.0.1:{actions_port}",
            BOT_PRELOAD_KB="1",
            AGENT_PASSWORD=AGENT_PASSWORD,
            **(extra_env or {}),
        )
        group = Cluster(env, workdir)
        try:
            migrate = group.start("migrate")
            if migrate.popen.wait(timeout=120) != 0:
                raise AssertionError(f"migrate failed:\n{migrate.tail()}")
            actions = group.start("actions", actions_port)
            rasas = [group.start("rasa", port) for port in rasa_ports]
            gateways = [group.start("gateway") for _ in range(pairs)]
            for process in [actions, *rasas, *gateways]:
                group.wait(process)
            yield group, gateways, rasas
        finally:
            group.stop()


def create_agents(database_url: str, count: int) -> list[str]:
    from store.agents import create_agent
    from store.db import make_engine, session_factory

    engine = make_engine(database_url)
    emails = [f"agent{i}@example.com" for i in range(count)]
    with session_factory(engine).begin() as db:
        for email in emails:
            create_agent(db, email, email.split("@")[0], AGENT_PASSWORD)
    engine.dispose()
    return emails


def rows(database_url: str, sql: str, **params: Any) -> list[Any]:
    engine = sqlalchemy.create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.text(sql), params))
    finally:
        engine.dispose()


@contextlib.contextmanager
def balancer(workdir: Path, gateways: list[Process]) -> Iterator[str]:
    """``deploy/nginx.conf``, unchanged but for the gateways' addresses and the port."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    names = sorted(set(re.findall(r"server (gateway-\d+):8000", conf)))
    assert len(names) == len(gateways), names
    for name, gateway in zip(names, gateways, strict=True):
        conf = conf.replace(f"{name}:8000", f"127.0.0.1:{gateway.port}")
    port = free_port()
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    prefix = workdir / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "nginx.conf").write_text(conf)
    popen = subprocess.Popen(
        [
            nginx,
            "-p",
            str(prefix),
            "-c",
            str(prefix / "nginx.conf"),
            "-e",
            "logs/error.log",
            "-g",
            "daemon off; pid logs/nginx.pid;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    process = Process("nginx", port, popen, prefix / "logs" / "error.log")
    try:
        wait_until_up(process, "/health", timeout=20)
        yield process.url
    finally:
        process.stop(timeout=10)
