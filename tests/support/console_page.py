"""The agent console in Debian's Chromium against the gateway served by a real uvicorn,
with Rasa played by a fake that hands off with a full missing-transfer case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from common.payload import HandoffPayload
from store.agents import create_agent
from store.db import make_engine, session_factory
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import PASSWORD, Gateway
from tests.support.logs import served

TIMEOUT = 10_000  # ms
TX_HASH = "0x" + "9f3c" * 16
# What the bot stores for "yesterday 3 pm" said by a user in Shanghai.
SHANGHAI_3PM = "2026-11-29T15:00:00+08:00"


class CaseRasa(FakeRasa):
    """FakeRasa, plus "missing": a missing-transfer handoff with every detail filled."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["message"] != "missing":
            return super().__call__(request)
        self.calls.append(body)
        self.handoffs += 1
        sender = body["sender"]
        payload = HandoffPayload(
            conversation_id=sender,
            reason="missing_transfer",
            priority="normal",
            language=body["metadata"].get("language", "en"),
            sla_hours=48,
            details={
                "chain": "tron",
                "amount": "100 USDT",
                "tx_hash": TX_HASH,
                "transfer_time": {"raw": "yesterday 3 pm", "parsed": SHANGHAI_3PM},
            },
            summary=f"Missing transfer: 100 USDT on tron tx_hash={TX_HASH}",
            created_at=f"2026-11-24T00:00:{self.handoffs:02d}+00:00",
        )
        replies = [
            {"recipient_id": sender, "text": "Connecting you with a human."},
            {"recipient_id": sender, "custom": payload.as_message()},
        ]
        return httpx.Response(200, json=replies)


@dataclass
class Desk:
    gateway: Gateway
    url: str

    def visitor(self, language: str = "en") -> dict[str, str]:
        response = httpx.post(f"{self.url}/webchat/api/visitors", json={"language": language})
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def say(self, visitor: dict[str, str], text: str) -> None:
        response = httpx.post(
            f"{self.url}/webchat/api/messages", json={"text": text}, headers=visitor, timeout=30
        )
        assert response.is_success, response.text

    def agent(self, email: str, online: bool = True) -> dict[str, str]:
        """A new agent, logged in (and online): its bearer header."""
        engine = make_engine(self.gateway.url)
        with session_factory(engine).begin() as db:
            create_agent(db, email, email.split("@")[0].title(), PASSWORD)
        engine.dispose()
        login = httpx.post(
            f"{self.url}/api/agent/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        if online:
            self.api(headers, "PUT", "/presence", json={"presence": "online"})
        return headers

    def api(self, agent: dict[str, str], method: str, path: str, **kw: Any) -> Any:
        response = httpx.request(method, f"{self.url}/api/agent{path}", headers=agent, **kw)
        assert response.is_success, response.text
        return response.json() if response.content else None

    def handed_off(
        self, agent: dict[str, str], text: str = "missing"
    ) -> tuple[dict[str, str], int]:
        """A visitor hands off: the visitor and the id of the new queued session."""
        before = {s["id"] for s in self.api(agent, "GET", "/sessions?view=queue")["sessions"]}
        visitor = self.visitor()
        self.say(visitor, text)
        after = self.api(agent, "GET", "/sessions?view=queue")["sessions"]
        [new] = [s["id"] for s in after if s["id"] not in before]
        return visitor, int(new)


@contextmanager
def serve_desk(database_url: str) -> Iterator[Desk]:
    gateway = Gateway(database_url, CaseRasa())
    with served(gateway.app) as url:
        yield Desk(gateway, url)


def log_in(page: Any, desk: Desk, email: str, name: str = "") -> None:
    """Open the console and log in as a new agent (created here)."""
    from playwright.sync_api import expect

    desk.agent(email, online=False)
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{desk.url}/console/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    expect(page.locator("#agent-name")).to_have_text(name or email.split("@")[0].title())
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
