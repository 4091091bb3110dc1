"""The gateway in-process (FastAPI's ``TestClient``), with Rasa played by
:class:`tests.fakes.rasa.FakeRasa`, on a desk database of the test's choosing."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient

from common.settings import DeskSettings
from gateway import create_app
from gateway.app import Channel
from gateway.assembly import Parts
from gateway.rasa import RasaClient
from store.agents import create_agent
from store.db import make_engine, session_factory
from tests.fakes.rasa import FakeRasa

ALWAYS = DeskSettings(
    agent_hours="00:00-24:00", secret="test-secret-of-at-least-32-bytes!!", sweep_seconds=3600
)
PASSWORD = "correct horse battery"


class Gateway:
    def __init__(
        self,
        url: str,
        rasa: FakeRasa,
        settings: DeskSettings = ALWAYS,
        channels: list[Channel] | None = None,
    ) -> None:
        self.url = url
        self.rasa = rasa
        client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
        rasa_client = RasaClient("http://rasa.test", client=client)
        self.app = create_app(settings, url, rasa_client, channels=channels)
        self.parts: Parts = self.app.state.parts
        self.client = TestClient(self.app)

    def visitor(self, language: str | None = None) -> dict[str, str]:
        response = self.client.post("/webchat/api/visitors", json={"language": language})
        assert response.status_code == 201
        token = response.json()["token"]
        return {"Authorization": f"Bearer {token}", "token": token}

    def say(self, visitor: dict[str, str], text: str, **extra: Any) -> httpx.Response:
        return self.client.post(
            "/webchat/api/messages",
            json={"text": text, **extra},
            headers={"Authorization": visitor["Authorization"]},
        )

    def agent(self, email: str, online: bool = True, role: str = "agent") -> dict[str, str]:
        engine = make_engine(self.url)
        with session_factory(engine).begin() as db:
            create_agent(db, email, email.split("@")[0].title(), PASSWORD, role=role)
        engine.dispose()
        headers = self.agent_login(email)
        if online:
            assert self.put_presence(headers, "online").status_code == 200
        return headers

    def agent_login(self, email: str) -> dict[str, str]:
        response = self.client.post("/api/agent/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    def put_presence(self, headers: dict[str, str], presence: str) -> httpx.Response:
        return self.client.put("/api/agent/presence", json={"presence": presence}, headers=headers)

    def queue(self, headers: dict[str, str], view: str = "queue") -> list[dict[str, Any]]:
        response = self.client.get(f"/api/agent/sessions?view={view}", headers=headers)
        assert response.status_code == 200, response.text
        return list(response.json()["sessions"])


def texts(response: httpx.Response) -> list[str]:
    return [r["text"] for r in response.json()["replies"]]
