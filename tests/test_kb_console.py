"""The console's knowledge base through the in-process gateway, on SQLite and
PostgreSQL: who may edit, refused edits naming the field, Publish in the background
(one at a time, 409 for the other), a failed build changing nothing, History and
restore, and Try it. Builds use a hashing stand-in for the embedding model."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from faq_kb.versions import load_version
from store import Conflict
from store import kb as kb_store
from store.db import make_engine, session_factory
from store.models import Agent
from tests.support.gateway import Gateway
from tests.support.kb_console import HashingEmbedder, use_embedder, wait_published

KB = "/api/agent/kb"


SOME = ("service-hours", "phone-support", "fake-app", "contact-channels", "seed-phrase-safety")


@pytest.fixture
def kb(gateway: Gateway, tmp_path: Path) -> Gateway:
    """A few of the seeded articles (a build of all of them is slow on a busy machine)."""
    knowledge = gateway.app.state.knowledge
    use_embedder(knowledge, HashingEmbedder(), tmp_path / "kb")
    with knowledge.database.begin() as db:
        kept = [r for r in kb_store.snapshot(db) if r["id"] in SOME]
        kb_store.replace_all(db, kept, "test")
    return gateway


def _admin(gateway: Gateway, email: str) -> dict[str, str]:
    headers = gateway.agent(email)
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        db.execute(select(Agent).where(Agent.email == email)).scalar_one().is_admin = True
    engine.dispose()
    return headers


def _article(gateway: Gateway, headers: dict[str, str], article_id: str) -> dict[str, Any]:
    response = gateway.client.get(f"{KB}/articles/{article_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _save(gateway: Gateway, headers: dict[str, str], article: dict[str, Any]) -> Any:
    body = {k: article[k] for k in ("topic", "texts", "version")}
    return gateway.client.put(f"{KB}/articles/{article['id']}", json=body, headers=headers)


def _publish(gateway: Gateway, headers: dict[str, str], expected: int | None = None) -> Any:
    return gateway.client.post(f"{KB}/publish", json={"expected_live": expected}, headers=headers)


def _status(gateway: Gateway, headers: dict[str, str]) -> dict[str, Any]:
    return dict(gateway.client.get(f"{KB}/status", headers=headers).json())


def test_an_empty_database_is_seeded_from_the_article_files(gateway: Gateway) -> None:
    agent = gateway.agent("agent@example.com")
    listed = gateway.client.get(f"{KB}/articles", headers=agent).json()
    files = sorted(p.stem for p in gateway.app.state.knowledge.settings.articles_dir.glob("*.yml"))
    assert [a["id"] for a in listed["articles"]] == files and listed["can_edit"] is False
    assert gateway.app.state.knowledge.seed() == 0  # not empty any more: left alone


def test_agents_read_but_do_not_edit(kb: Gateway) -> None:
    agent = kb.agent("agent@example.com")
    found = kb.client.get(f"{KB}/articles?q=客服几点上班", headers=agent).json()["articles"]
    assert [a["id"] for a in found] == ["service-hours"]
    article = _article(kb, agent, "service-hours")
    article["texts"]["en"]["answer"] = "We never sleep."
    assert _save(kb, agent, article).status_code == 403
    assert _publish(kb, agent).status_code == 403
    assert kb.client.post(f"{KB}/revisions/1/restore", json={}, headers=agent).status_code == 403
    assert _article(kb, agent, "service-hours")["texts"]["en"]["answer"] != "We never sleep."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda t, other: t.pop("es"), "es"),
        (lambda t, other: t["en"].update(answer="Call {phone_numbr} now."), "en.answer"),
        (lambda t, other: t["zh"].update(answer="长" * 20_000), "zh.answer"),
        (lambda t, other: t["en"]["questions"].append(other), "en.questions"),
    ],
    ids=["missing language", "unknown placeholder", "20000 characters", "duplicate question"],
)
def test_a_bad_edit_is_refused_with_the_field_named_and_nothing_changes(
    kb: Gateway, change: Any, field: str
) -> None:
    admin = _admin(kb, "admin@example.com")
    before = _article(kb, admin, "service-hours")
    other = _article(kb, admin, "phone-support")["texts"]["en"]["questions"][0]
    edited = _article(kb, admin, "service-hours")
    change(edited["texts"], other.upper() + "?")
    response = _save(kb, admin, edited)
    assert response.status_code in (413, 422), response.text
    if response.status_code == 422:
        assert response.json()["detail"]["field"] == field
        assert response.json()["detail"]["article"] == "service-hours"
    assert _article(kb, admin, "service-hours") == before
    status = _status(kb, admin)
    assert status["live_revision"] is None and status["last"] is None


def test_an_edit_on_an_old_version_is_refused(kb: Gateway) -> None:
    admin = _admin(kb, "admin@example.com")
    first, second = _article(kb, admin, "fake-app"), _article(kb, admin, "fake-app")
    first["texts"]["en"]["title"] = "Fake apps"
    assert _save(kb, admin, first).status_code == 200
    second["texts"]["en"]["title"] = "Counterfeit apps"
    assert _save(kb, admin, second).status_code == 409


def test_publish_builds_in_the_background_and_records_who_changed_what(kb: Gateway) -> None:
    admin = _admin(kb, "admin@example.com")
    article = _article(kb, admin, "service-hours")
    old = article["texts"]["en"]["answer"]
    article["texts"]["en"]["answer"] = "Our agents answer around the clock, {chat_hours}."
    assert _save(kb, admin, article).status_code == 200
    response = _publish(kb, admin)
    assert response.status_code == 202, response.text
    revision = wait_published(kb.client, admin, response.json()["revision"])
    assert revision["status"] == "live" and revision["author"] == "Admin"
    edits = [change for change in revision["diff"] if change["field"] != "*"]  # * : kb's subset
    assert edits == [
        {
            "article": "service-hours",
            "field": "en.answer",
            "before": old,
            "after": "Our agents answer around the clock, {chat_hours}.",
        }
    ]
    status = _status(kb, admin)
    assert status["live_revision"] == revision["id"] and status["progress"] == 1.0
    knowledge = kb.app.state.knowledge
    index = load_version(knowledge.settings.index_dir, status["index_version"])
    assert "around the clock" in index.articles["service-hours"].texts["en"].answer

    tried = kb.client.post(
        f"{KB}/try",
        json={"question": "are your agents there at night", "language": "en"},
        headers=kb.agent("agent@example.com"),
    ).json()
    for side in ("draft", "live"):
        assert len(tried[side]["hits"]) == 3
        assert tried[side]["kind"] in ("answer", "suggest", "miss", "flow")
        assert all(0.0 <= hit["score"] <= 1.0 for hit in tried[side]["hits"])


def test_two_publishes_at_once_one_wins_the_other_is_told_to_reload(kb: Gateway) -> None:
    gate = threading.Event()
    knowledge = kb.app.state.knowledge
    use_embedder(knowledge, HashingEmbedder(gate), knowledge.settings.index_dir)
    alice, bob = _admin(kb, "alice@example.com"), _admin(kb, "bob@example.com")
    results: list[int | str] = []

    def publish(name: str) -> None:
        try:
            results.append(knowledge.publisher.start(name, None))
        except Conflict:
            results.append("conflict")

    racers = [threading.Thread(target=publish, args=(name,)) for name in ("Alice", "Bob")]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(results, key=str).count("conflict") == 1, results
    [won] = [r for r in results if r != "conflict"]
    assert _publish(kb, bob).status_code == 409  # while it builds
    gate.set()
    assert wait_published(kb.client, alice, int(won))["status"] == "live"
    stale = _publish(kb, bob, expected=None)  # Bob saw nothing live: someone published since
    assert stale.status_code == 409 and "reload" in stale.json()["detail"]
    fresh = _publish(kb, bob, expected=int(won))
    assert fresh.status_code == 202
    assert wait_published(kb.client, bob, fresh.json()["revision"])["status"] == "live"


def test_a_failed_build_changes_nothing(kb: Gateway) -> None:
    admin = _admin(kb, "admin@example.com")
    first = _publish(kb, admin)
    live = wait_published(kb.client, admin, first.json()["revision"])
    before = _status(kb, admin)
    knowledge = kb.app.state.knowledge
    use_embedder(knowledge, HashingEmbedder(fail=True), knowledge.settings.index_dir)
    article = _article(kb, admin, "fake-app")
    article["texts"]["en"]["title"] = "Fake apps and how to spot them"
    assert _save(kb, admin, article).status_code == 200
    failed = wait_published(kb.client, admin, _publish(kb, admin, live["id"]).json()["revision"])
    assert failed["status"] == "failed" and "embedding model broke" in failed["error"]
    after = _status(kb, admin)
    assert after["live_revision"] == before["live_revision"] == live["id"]
    assert after["index_version"] == before["index_version"]
    assert after["building_revision"] is None  # the next publish may start


def test_restore_is_a_new_publish_of_that_revision(kb: Gateway) -> None:
    admin = _admin(kb, "admin@example.com")
    article = _article(kb, admin, "fake-app")
    article["texts"]["es"]["title"] = "Apps falsas (1)"
    _save(kb, admin, article)
    first = wait_published(kb.client, admin, _publish(kb, admin).json()["revision"])
    article = _article(kb, admin, "fake-app")
    article["texts"]["es"]["title"] = "Apps falsas (2)"
    _save(kb, admin, article)
    second = wait_published(kb.client, admin, _publish(kb, admin, first["id"]).json()["revision"])
    response = kb.client.post(
        f"{KB}/revisions/{first['id']}/restore", json={"expected_live": second["id"]}, headers=admin
    )
    assert response.status_code == 202, response.text
    third = wait_published(kb.client, admin, response.json()["revision"])
    assert third["status"] == "live" and third["restored_from"] == first["id"]
    assert third["diff"] == [
        {
            "article": "fake-app",
            "field": "es.title",
            "before": "Apps falsas (2)",
            "after": "Apps falsas (1)",
        }
    ]
    assert _article(kb, admin, "fake-app")["texts"]["es"]["title"] == "Apps falsas (1)"
    history = kb.client.get(f"{KB}/revisions", headers=admin).json()["revisions"]
    assert [r["id"] for r in history] == [third["id"], second["id"], first["id"]]
