"""Rasa's side of the callback form, played for the in-process gateway: it asks for a
number (with the ``{"expect": "phone"}`` marker the real form sends), re-asks on the
gateway's invalid token, asks for a time on a valid one, and books on "book <ISO>".
What the real form decides is tested against the real bot (tests/test_e2e_callback.py);
this fake only lets the desk's side be tested on both databases."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from common.payload import Details, HandoffPayload, HandoffReason
from tests.fakes.rasa import FakeRasa

_VALID = re.compile(r"\[phone …\d{4}\]")


class CallbackRasa(FakeRasa):
    def __init__(self) -> None:
        super().__init__()
        self.phone: dict[str, str] = {}  # sender: the token the form kept

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        text, sender = str(body["message"]), str(body["sender"])
        reply: list[dict[str, Any]]
        if text.startswith("call me") or "[invalid phone" in text:
            self.calls.append(body)
            reply = [{"text": "Which number should we call?"}, {"custom": {"expect": "phone"}}]
        elif _VALID.search(text):
            self.calls.append(body)
            self.phone[sender] = _VALID.findall(text)[-1]
            reply = [{"text": "When should we call?"}]
        elif text.startswith("book "):
            self.calls.append(body)
            start = text.removeprefix("book ")
            payload = HandoffPayload(
                conversation_id=sender,
                reason=HandoffReason.CALLBACK,
                language=body["metadata"].get("language", "en"),
                details=Details(callback={"phone": self.phone.get(sender, ""), "start": start}),
                summary=f"callback to {self.phone.get(sender)} at {start}",
            )
            reply = [{"custom": payload.as_message()}]
        else:
            return super().__call__(request)
        return httpx.Response(200, json=[{"recipient_id": sender, **r} for r in reply])
