"""Custom actions' inputs and outputs as rasa-sdk gives them: the domain, real
``Tracker`` objects, and what a run of an action said and set."""

from __future__ import annotations

import asyncio
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from tests.support import ROOT

DOMAIN_DIR = ROOT / "bot" / "domain"
TRON_HASH = "9f" * 32


def load_domain() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted(DOMAIN_DIR.glob("*.yml")):
        for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif isinstance(value, list):
                merged.setdefault(key, []).extend(value)
    return merged


def tracker(
    text: str = "",
    intent: str = "ask_faq",
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    active_loop: dict[str, Any] | None = None,
    confidence: float = 0.95,
    entities: list[dict[str, Any]] | None = None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "metadata": metadata or {},
    }
    history = [{"event": "user", "text": text, "timestamp": 1_763_000_000.0, "parse_data": latest}]
    return Tracker(
        "tester",
        slots or {},
        latest,
        [*(events or []), *history],
        False,
        None,
        active_loop or {},
        "action_listen",
    )


def run(
    action: Action, t: Tracker, domain: dict[str, Any]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m["response"] for m in messages if m.get("response")]


def said(text: str) -> dict[str, Any]:
    """An earlier user message, as a tracker event."""
    return {"event": "user", "text": text, "timestamp": 1_762_999_000.0, "parse_data": {}}
