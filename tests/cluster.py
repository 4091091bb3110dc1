"""Several gateway and Rasa processes over PostgreSQL and Redis, on loopback.

Each process is started with the operator's role command (``scripts/serve.sh``),
so the tests and the benchmark run exactly what the README and compose file run.
Also the clients: web chat visitors that behave like the page (retry with the same
client id, switch gateway when theirs dies, catch up after a reconnect) and agents
with a console connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
import websockets

from tests.e2e_support import ROOT, free_port

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/3"
SECRET = "cluster-test-secret"
AGENT_PASSWORD = "cluster-agent-password"
STARTUP_SECONDS = 400
# Shorter than uvicorn's and Sanic's 5 s keep-alive: a pooled connection is never
# reused in the instant the server closes it (a spurious ReadError).
LIMITS = httpx.Limits(max_connections=500, max_keepalive_connections=500, keepalive_expiry=2)


def client(timeout: float = 120) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, limits=LIMITS)


def services_up() -> str | None:
    """None if PostgreSQL and Redis answer, else what is missing."""
    import redis

    try:
        engine = sqlalchemy.create_engine(PG_ADMIN, future=True)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis is not reachable on 127.0.0.1:6379 ({type(exc).__name__})"
    return None


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database for one cluster (Rasa's tables and the desk's)."""
    name = f"scale_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


@dataclass
class Process:
    role: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()


@dataclass
class Cluster:
    env: dict[str, str]
    workdir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, role: str, port: int | None = None, **extra: str) -> Process:
        port = port or free_port()
        log = self.workdir / f"{role}-{port}.log"
        popen = subprocess.Popen(
            ["bash", "scripts/serve.sh", role],
            cwd=ROOT,
            env={**self.env, "PORT": str(port), "HOST": "127.0.0.1", **extra},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        process = Process(role, port, popen, log)
        self.processes.append(process)
        return process

    def wait(self, process: Process, path: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.role} exited:\n{process.log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{process.url}{path}", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise TimeoutError(f"{process.role} on {process.port} did not come up")

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes:
            try:
                process.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextlib.contextmanager
def cluster(
    workdir: Path, pairs: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[Cluster, list[Process], list[Process]]]:
    """*pairs* Rasa servers and gateways, one action server, one fresh database.

    Yields the cluster, the gateways and the Rasa servers. Every gateway knows every
    Rasa server (a conversation keeps to one and fails over to the next).
    """
    with fresh_database() as database_url:
        actions_port = free_port()
        rasa_ports = [free_port() for _ in range(pairs)]
        env = {
            **os.environ,
            "BIN": str(Path(sys.executable).parent),
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "ACTIONS_URL": f"http://127.0.0.1:{actions_port}",
            "DESK_RASA_URL": ",".join(f"http://127.0.0.1:{p}" for p in rasa_ports),
            "DESK_SECRET": SECRET,
            "DESK_AGENT_HOURS": "00:00-24:00",
            "DESK_ALIVE_SECONDS": "10",
            "BOT_PRELOAD_KB": "1",
            "AGENT_PASSWORD": AGENT_PASSWORD,
            **(extra_env or {}),
        }
        group = Cluster(env, workdir)
        try:
            migrate = group.start("migrate")
            if migrate.popen.wait(timeout=120) != 0:
                raise RuntimeError(f"migrate failed:\n{migrate.log.read_text()[-3000:]}")
            actions = group.start("actions", actions_port)
            rasas = [group.start("rasa", port) for port in rasa_ports]
            gateways = [group.start("gateway") for _ in range(pairs)]
            group.wait(actions, "/health")
            for rasa in rasas:
                group.wait(rasa, "/status")
            for gateway in gateways:
                group.wait(gateway, "/health")
            yield group, gateways, rasas
        finally:
            group.stop()


# --- clients --------------------------------------------------------------------------


@dataclass
class Visitor:
    """A web chat page: it behaves like chat.js (client ids, retries, catch-up)."""

    gateways: list[str]
    home: int
    user_id: str = ""
    token: str = ""
    seen: list[int] = field(default_factory=list)  # message ids, in arrival order
    pushed: list[dict[str, Any]] = field(default_factory=list)  # over the WebSocket
    sent: list[str] = field(default_factory=list)
    retries: int = 0  # POSTs sent again (to another gateway) after a failure
    reconnects: int = 0
    duplicates_answered: int = 0  # retries the server recognised as already stored
    task: asyncio.Task[None] | None = None

    @property
    def conversation(self) -> str:
        return f"webchat:{self.user_id}"

    @property
    def url(self) -> str:
        return self.gateways[self.home]

    def switch(self, failed: str) -> None:
        """*failed* didn't answer: use the next gateway (unless already moved on)."""
        if self.url == failed:
            self.home = (self.home + 1) % len(self.gateways)

    async def open(self, http: httpx.AsyncClient) -> None:
        response = await http.post(f"{self.url}/webchat/api/visitors", json={"language": "en"})
        response.raise_for_status()
        self.user_id, self.token = response.json()["user_id"], response.json()["token"]
        connected = asyncio.Event()
        self.task = asyncio.create_task(self._listen(http, connected))
        await asyncio.wait_for(connected.wait(), 30)

    async def _listen(self, http: httpx.AsyncClient, connected: asyncio.Event) -> None:
        while True:
            current = self.url
            ws_url = current.replace("http://", "ws://") + f"/webchat/ws?token={self.token}"
            try:
                async with websockets.connect(ws_url, open_timeout=5) as socket:
                    connected.set()
                    await self._catch_up(http)
                    async for raw in socket:
                        event = json.loads(raw)
                        if event.get("type") == "message":
                            self.pushed.append(event["message"])
                            self.seen.append(event["message"]["id"])
                        elif event.get("type") == "resync":
                            await self._catch_up(http)
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
                pass
            self.reconnects += 1
            self.switch(current)  # the gateway is gone: a load balancer would send us elsewhere
            await asyncio.sleep(0.5)

    async def _catch_up(self, http: httpx.AsyncClient) -> None:
        # After a reconnect; if it fails, the socket's next reconnect tries again.
        with contextlib.suppress(httpx.HTTPError):
            await self._read(http)

    async def reread(self, http: httpx.AsyncClient) -> None:
        """The page's periodic re-read: it must get an answer, from some gateway."""
        for attempt in range(6):
            current = self.url
            try:
                await self._read(http)
                return
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code < 500:
                    raise
            except httpx.TransportError:
                self.switch(current)
            await asyncio.sleep(0.5 * (attempt + 1))
        raise RuntimeError(f"no gateway answered {self.conversation}'s re-read")

    async def _read(self, http: httpx.AsyncClient) -> None:
        # chat.js re-reads the last two minutes (and every 30 s while open); every
        # conversation here is younger than that.
        response = await http.get(
            f"{self.url}/webchat/api/messages", params={"after": 0}, headers=self.headers
        )
        response.raise_for_status()
        for message in response.json()["messages"]:
            if message["author"] != "user" and message["id"] not in self.seen:
                self.seen.append(message["id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, http: httpx.AsyncClient, text: str) -> dict[str, Any]:
        body = {"text": text, "language": "en", "client_id": uuid.uuid4().hex}
        for attempt in range(6):
            current = self.url
            try:
                response = await http.post(
                    f"{current}/webchat/api/messages", json=body, headers=self.headers
                )
                if response.status_code < 500:
                    self.sent.append(text)
                    result: dict[str, Any] = response.json()
                    self.duplicates_answered += bool(result.get("duplicate"))
                    for reply in result.get("replies", []):  # shown at once, as chat.js does
                        if reply["id"] not in self.seen:
                            self.seen.append(reply["id"])
                    return result
            except httpx.TransportError:
                pass
            self.retries += 1
            self.switch(current)
            await asyncio.sleep(0.5 * (attempt + 1))
        raise RuntimeError(f"no gateway took {text!r}")

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Agent:
    """An agent with a console WebSocket on one gateway."""

    url: str
    email: str
    token: str = ""
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    claimed: list[int] = field(default_factory=list)
    conflicts: int = 0
    task: asyncio.Task[None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def log_in(self, http: httpx.AsyncClient) -> None:
        login = await http.post(
            f"{self.url}/api/agent/login", json={"email": self.email, "password": AGENT_PASSWORD}
        )
        login.raise_for_status()
        self.token = login.json()["token"]
        presence = await http.put(
            f"{self.url}/api/agent/presence", json={"presence": "online"}, headers=self.headers
        )
        presence.raise_for_status()
        connected = asyncio.Event()
        self.task = asyncio.create_task(self._listen(connected))
        await asyncio.wait_for(connected.wait(), 30)

    async def _listen(self, connected: asyncio.Event) -> None:
        ws_url = self.url.replace("http://", "ws://") + f"/api/agent/ws?token={self.token}"
        async with websockets.connect(ws_url) as socket:
            connected.set()
            async for raw in socket:
                self.events.append((time.monotonic(), json.loads(raw)))

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


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
    import re
    import shutil

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
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                raise RuntimeError((prefix / "logs" / "error.log").read_text()[-2000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        yield url
    finally:
        popen.terminate()
        popen.wait(timeout=10)
