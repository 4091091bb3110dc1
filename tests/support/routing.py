"""Routing tests' helpers: a supervisor, agents' profiles, the switch, "mine"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from store.db import make_engine, session_factory
from store.models import Agent
from tests.support.gateway import Gateway

Headers = dict[str, str]


def admin(gateway: Gateway, email: str = "boss@example.com", online: bool = False) -> Headers:
    headers = gateway.agent(email, online=online)
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        db.execute(update(Agent).where(Agent.email == email).values(is_admin=True))
    engine.dispose()
    return headers


def agent_id(gateway: Gateway, headers: Headers) -> int:
    return int(gateway.client.get("/api/agent/me", headers=headers).json()["id"])


def profile(gateway: Gateway, boss: Headers, who: Headers, **body: Any) -> Any:
    url = f"/api/agent/routing/agents/{agent_id(gateway, who)}"
    return gateway.client.put(url, json=body, headers=boss)


def auto_assign(gateway: Gateway, boss: Headers, on: bool = True) -> None:
    response = gateway.client.put("/api/agent/routing", json={"auto_assign": on}, headers=boss)
    assert response.status_code == 200 and response.json()["auto_assign"] is on


def mine(gateway: Gateway, headers: Headers) -> list[int]:
    return [s["id"] for s in gateway.queue(headers, "mine")]
