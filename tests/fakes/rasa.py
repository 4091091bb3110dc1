"""Rasa's REST channel, as an ``httpx.MockTransport`` handler for the in-process gateway.

``FakeRasa`` echoes with a button, hands off on "human", "/request_human" and
"dispute", and fails on "crash"; ``LongRasa`` and ``SlowRasa`` add a reply longer
than a Telegram message and a reply slower than WeChat's passive-reply deadline.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from common.payload import HandoffPayload


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
