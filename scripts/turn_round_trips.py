"""What one web chat turn costs the gateway in round trips, on the production profile:
every query PostgreSQL receives (counted on the wire by a proxy, so ``BEGIN``,
``COMMIT`` and the pool's liveness pings count too) and every Redis command, with
the statements listed. Rasa is a fake that answers at once. Prints Markdown.

    .venv/bin/python scripts/turn_round_trips.py [--turns 20] [--list]

The jobs and the outbox's flush run as usual: their queries land in whichever turn
they coincide with, and are shown apart (``background``) by what they touch.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import socket
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis.asyncio.connection
import redis.connection

from scripts.bench_gateway import QUESTIONS
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, Gateway
from tests.support.services import REDIS_URL, fresh_schema

SEEN: list[tuple[str, str, int]] = []  # ("pg" | "redis", what, connection), in order
# Statements of the periodic jobs, the liveness lease and the outbox's flush.
BACKGROUND = re.compile(r"handoff_leases|SET sent_at|handoff_event_outbox\.sent_at IS NULL")
_COMMAND = re.compile(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n")


class Proxy:
    """A TCP proxy to PostgreSQL that records each simple-protocol query ('Q' message)."""

    def __init__(self, upstream: int = 5432) -> None:
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._ready = threading.Event()
        threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True).start()
        self._ready.wait(5)

    async def _serve(self) -> None:
        server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self._ready.set()
        async with server:
            await server.serve_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        back = asyncio.ensure_future(_pipe(up_reader, writer))
        try:
            length = int.from_bytes(await reader.readexactly(4), "big")  # the startup message
            up_writer.write(length.to_bytes(4, "big") + await reader.readexactly(length - 4))
            while True:
                kind = await reader.readexactly(1)
                size = await reader.readexactly(4)
                body = await reader.readexactly(int.from_bytes(size, "big") - 4)
                if kind == b"Q":
                    query = body.rstrip(b"\0").decode(errors="replace")
                    SEEN.append(("pg", query, id(writer)))
                up_writer.write(kind + size + body)
                await up_writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            back.cancel()
            up_writer.close()
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


def _commands(packed: Any) -> str:
    chunks = packed if isinstance(packed, list | tuple) else [packed]
    data = b"".join(c if isinstance(c, bytes) else bytes(c) for c in chunks)
    return " ".join(name.decode().upper() for name in _COMMAND.findall(data))


def count_redis() -> None:
    """Record every write to Redis (a pipeline or MULTI is one write: one round trip)."""
    sync_send = redis.connection.Connection.send_packed_command
    async_send = redis.asyncio.connection.Connection.send_packed_command

    def send(self: Any, command: Any, check_health: bool = True) -> None:
        SEEN.append(("redis", _commands(command), 0))
        sync_send(self, command, check_health)

    async def asend(self: Any, command: Any, check_health: bool = True) -> None:
        SEEN.append(("redis", _commands(command), 0))
        await async_send(self, command, check_health)

    redis.connection.Connection.send_packed_command = send  # type: ignore[method-assign]
    redis.asyncio.connection.Connection.send_packed_command = asend  # type: ignore[method-assign]


@contextlib.contextmanager
def gateway(proxy: Proxy) -> Iterator[Gateway]:
    unlimited = "1000000/minute"
    settings = ALWAYS.copy(
        update={
            "redis_url": REDIS_URL,
            "limit_visitors_per_ip": unlimited,
            "limit_messages_per_ip": unlimited,
        }
    )
    with fresh_schema("trips") as url:
        proxied = url.replace(":5432/", f":{proxy.port}/") + "&sslmode=disable"
        running = Gateway(proxied, FakeRasa(), settings)
        with running.client:
            yield running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--list", action="store_true", help="list the last turn's statements")
    args = parser.parse_args()
    count_redis()
    proxy = Proxy()
    per_turn: list[Counter[str]] = []
    last: list[tuple[str, str, bool]] = []
    with gateway(proxy) as running:
        visitors = [running.visitor("en") for _ in range(3)]
        for i in range(args.turns + 3):
            language, question = QUESTIONS[i % len(QUESTIONS)]
            time.sleep(0.05)  # the previous turn's flush and publishes settle
            SEEN.clear()
            response = running.say(visitors[i % 3], question, language=language)
            assert response.status_code == 200, response.text
            last = _classified(list(SEEN))
            if i >= 3:  # the first turns of each visitor create its conversation
                per_turn.append(Counter(k for seen in last for k in _kinds(*seen)))
    print(f"Measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with")
    print(f"`scripts/turn_round_trips.py --turns {args.turns}` (medians per turn).\n")
    print("| round trips per web chat turn | median | max |\n|---|---|---|")
    for kind in ("pg", "pg commits", "redis", "pg background", "redis background"):
        values = [c[kind] for c in per_turn]
        print(f"| {kind} | {statistics.median(values):g} | {max(values)} |")
    if args.list:
        print("\nThe last turn:\n")
        for where, what, background in last:
            shown = " ".join(what.split())[:150]
            print(f"- {where}{' (background)' if background else ''}: `{shown}`")


def _classified(seen: list[tuple[str, str, int]]) -> list[tuple[str, str, bool]]:
    """Each query or command, and whether it belongs to the background: a transaction
    (from its connection's ping or BEGIN to its COMMIT) that touched what the jobs and
    the outbox's flush do."""
    tainted: set[int] = set()  # connections whose open transaction is the background's
    marked: set[int] = set()  # indexes in *seen*
    current: dict[int, list[int]] = {}  # connection: the indexes of its open transaction
    for index, (where, what, connection) in enumerate(seen):
        if where != "pg":
            continue
        current.setdefault(connection, []).append(index)
        if BACKGROUND.search(what):
            tainted.add(connection)
        if what in ("COMMIT", "ROLLBACK"):
            if connection in tainted:
                marked.update(current[connection])
            tainted.discard(connection)
            current[connection] = []
    return [(w, q, i in marked) for i, (w, q, _c) in enumerate(seen)]


def _kinds(where: str, what: str, background: bool) -> list[str]:
    if background:
        return [f"{where} background"]
    return [where, "pg commits"] if what == "COMMIT" else [where]


if __name__ == "__main__":
    main()
