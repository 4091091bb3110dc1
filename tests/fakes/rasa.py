"""Rasa's REST channel, as an ``httpx.MockTransport`` handler for the in-process gateway.

``FakeRasa`` echoes with a button, hands off on "human", "/request_human" and
"dispute", and fails on "crash"; ``LongRasa`` and ``SlowRasa`` add a reply longer
than a Telegram message and a reply slower than WeChat's passive-reply deadline.
``RasaServer`` serves ``FakeRasa`` over HTTP, for gateway processes.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx

from common.payload import HandoffPayload
from tests.fakes.server import serve


class FakeRasa:
    """Answers like Rasa's REST channel: "human" hands off, "crash" is a 500."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.handoffs = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(body)
        text, sender = body["message"], body["sender"]
        if text == "crash":
            return httpx.Response(500, text="boom")
        if text in ("human", "/request_human", "dispute"):
            self.handoffs += 1
            human = text != "dispute"
            payload = HandoffPayload(
                conversation_id=sender,
                reason="user_request" if human else "dispute",
                priority="normal" if human else "high",
                language=body["metadata"].get("language", "en"),
                sla_hours=48 if human else 24,
                details={"chain": "tron", "tx_hash": "ab" * 32},
                summary="asked for a human",
                created_at=f"2026-11-24T00:00:{self.handoffs:02d}+00:00",
            )
            return httpx.Response(
                200,
                json=[
                    {"recipient_id": sender, "text": "Connecting you with a human."},
                    {"recipient_id": sender, "custom": payload.as_message()},
                ],
            )
        return httpx.Response(
            200,
            json=[
                {
                    "recipient_id": sender,
                    "text": f"bot: {text}",
                    "buttons": [{"title": "Yes", "payload": "/affirm"}],
                }
            ],
        )


class LongRasa(FakeRasa):
    """FakeRasa, plus "long" for a reply longer than one Telegram message."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["message"] == "long":
            self.calls.append(body)
            text = ("A fairly long paragraph about network fees. " * 60 + "\n\n") * 3
            return httpx.Response(200, json=[{"recipient_id": body["sender"], "text": text}])
        return super().__call__(request)


class SlowRasa(FakeRasa):
    """FakeRasa that takes 2.5 s for "slow": past the deadline, inside WeChat's 5 s."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:  # type: ignore[override]
        if json.loads(request.content)["message"] == "slow":
            await asyncio.sleep(2.5)  # a slow turn: the real-time delay under test
        return super().__call__(request)


class RasaServer:
    """:class:`FakeRasa` on a loopback port, for gateway processes. A sender's first
    "stall" takes *stall_seconds* (a turn caught mid-way by a ``kill -9``), later
    ones are answered at once."""

    def __init__(self, stall_seconds: float = 40.0) -> None:
        self.rasa = FakeRasa()
        self.stalled: set[str] = set()
        lock = threading.Lock()  # the server's threads share the fake's lists
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # the readiness path scripts/serve.sh names
                self._send(200, b'{"status": "ok"}')

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                body = json.loads(raw)
                with lock:
                    stall = body["message"] == "stall" and body["sender"] not in fake.stalled
                    fake.stalled.add(body["sender"])
                if stall:
                    time.sleep(stall_seconds)  # the fake is slow, not the test waiting
                with lock:
                    answer = fake.rasa(httpx.Request("POST", self.path, content=raw))
                self._send(answer.status_code, answer.content)

            def _send(self, status: int, raw: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server, self.url = serve(Handler)

    def calls(self, sender: str) -> list[str]:
        """What *sender* sent, in order (one entry per turn that reached Rasa)."""
        return [c["message"] for c in self.rasa.calls if c["sender"] == sender]

    def close(self) -> None:
        self.server.shutdown()
