"""The gateway's Rasa client on its own transport (aiohttp), against real sockets: an
answer, a kept-alive connection, and the failures that may or may not go on to the
next Rasa server (``gateway.rasa``'s rules, as the httpx tests check them)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from common.messages import InboundMessage
from gateway.rasa import RasaClient, RasaUnavailable
from gateway.rasa_http import CONNECTIONS_PER_RASA
from tests.fakes.server import serve


class Rasa(BaseHTTPRequestHandler):
    """Answers like Rasa's REST channel, by the message: "boom" is a 500, "garbage" a
    body that isn't JSON, "hang" never answers in time. A server with ``dies`` closes
    every connection without an answer (a server killed mid-request)."""

    protocol_version = "HTTP/1.1"  # kept alive, as Sanic does
    peers: list[int] = []  # noqa: RUF012 - the client port of each request, in order
    lock = threading.Lock()
    dies = False

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send(200, b"{}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.peers.append(self.client_address[1])
        text = body["message"]
        if self.dies:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if text == "hang":
            time.sleep(1.5)
        if text == "boom":
            self._send(500, b"boom")
            return
        if text == "garbage":
            self._send(200, b"{not json")
            return
        answer = [{"recipient_id": body["sender"], "text": f"{self.server.server_port}: {text}"}]
        self._send(200, json.dumps(answer).encode())

    def _send(self, status: int, raw: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def say(text: str, user: str = "u1") -> InboundMessage:
    return InboundMessage("webchat", user, text)


def test_answers_come_over_one_kept_alive_connection() -> None:
    server, url = serve(type("Alive", (Rasa,), {"peers": []}))

    async def run() -> None:
        rasa = RasaClient(url, actions_url=url)
        try:
            for n in range(5):
                [reply] = await rasa.send(say(f"hello {n}"))
                assert reply.text == f"{server.server_port}: hello {n}"
            assert not await rasa.actions_down()
        finally:
            await rasa.close()

    try:
        asyncio.run(run())
        handler: Any = server.RequestHandlerClass
        assert len(handler.peers) == 5 and len(set(handler.peers)) == 1
    finally:
        server.shutdown()


def test_failures_that_may_have_run_the_turn_are_not_sent_to_another_server() -> None:
    server, url = serve(type("Failing", (Rasa,), {"peers": []}))
    other, other_url = serve(type("Other", (Rasa,), {"peers": []}))

    async def run() -> None:
        rasa = RasaClient([url, other_url], timeout=0.5)
        user = first_on(0, 2)  # a conversation whose server is the failing one
        try:
            for text in ("boom", "garbage", "hang"):
                with pytest.raises(RasaUnavailable):
                    await rasa.send(say(text, user=user))
        finally:
            await rasa.close()

    try:
        asyncio.run(run())
        assert not other.RequestHandlerClass.peers  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        other.shutdown()


def test_a_server_that_is_gone_sends_the_conversation_to_the_next() -> None:
    alive, alive_url = serve(type("Next", (Rasa,), {"peers": []}))
    dying, dying_url = serve(type("Dying", (Rasa,), {"peers": [], "dies": True}))

    async def run() -> None:
        refused = RasaClient([closed_port(), alive_url])
        try:
            for n in range(6):  # refused: asked again at once, then last
                [reply] = await refused.send(say("hi", user=f"user{n}"))
                assert reply.text == f"{alive.server_port}: hi"
        finally:
            await refused.close()
        # Reached, then closed without an answer: its Redis lock ticket is waited out.
        cut = RasaClient([dying_url, alive_url], lock_seconds=0.3)
        try:
            started = time.monotonic()
            [reply] = await cut.send(say("hi", user=first_on(0, 2)))
            assert reply.text == f"{alive.server_port}: hi"
            assert len(dying.RequestHandlerClass.peers) == 1  # type: ignore[attr-defined]
            assert time.monotonic() - started >= 0.8
        finally:
            await cut.close()
        lonely = RasaClient([closed_port()])
        try:
            with pytest.raises(RasaUnavailable):
                await lonely.send(say("hi"))
            assert await lonely.actions_down() is False  # no action server configured
        finally:
            await lonely.close()

    try:
        asyncio.run(run())
    finally:
        alive.shutdown()
        dying.shutdown()


def first_on(index: int, count: int) -> str:
    """A web chat user whose conversation goes to server *index* of *count* first
    (``gateway.rasa`` picks by a CRC of the conversation id)."""
    return next(
        user
        for user in (f"user{n}" for n in range(100))
        if zlib.crc32(f"webchat:{user}".encode()) % count == index
    )


def test_a_burst_of_conversations_shares_a_few_connections_to_rasa() -> None:
    """A connection per conversation let 100 at once queue inside Rasa, which took them
    in no fair order: the first messages of the last ones waited 10 s. Beyond
    CONNECTIONS_PER_RASA the turns wait in the gateway, in order, and are all answered."""

    class Slow(Rasa):
        peers: list[int] = []  # noqa: RUF012 - as Rasa's

        def do_POST(self) -> None:
            time.sleep(0.02)  # a turn takes a while: the burst overlaps
            super().do_POST()

    server, url = serve(Slow)

    async def run() -> None:
        rasa = RasaClient(url)
        try:
            replies = await asyncio.gather(
                *(rasa.send(say(f"hi {n}", user=f"user{n}")) for n in range(60))
            )
            assert [r[0].text for r in replies] == [
                f"{server.server_port}: hi {n}" for n in range(60)
            ]
        finally:
            await rasa.close()

    try:
        asyncio.run(run())
        assert len(Slow.peers) == 60
        assert len(set(Slow.peers)) <= CONNECTIONS_PER_RASA
    finally:
        server.shutdown()
