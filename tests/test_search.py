"""Search and history through the real agent API, on SQLite (FTS5) and PostgreSQL
(full-text and trigram indexes): by ticket, user id, tx hash, address, English and
Chinese text; bad queries; a redacted secret is not findable; the index is filled
from rows written before the migration and follows later redactions."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from mnemonic import Mnemonic
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from common.clock import utcnow
from common.payload import HandoffPayload
from store import handoffs, messages, search
from store.db import MIGRATIONS, make_engine, migrate, session_factory
from store.models import Conversation, HandoffSession, Message
from tests.support.gateway import Gateway

TX_HASH = "0x" + "5c9d" * 15 + "e1a7"
TRON_ADDRESS = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
PHRASE = Mnemonic("english").to_mnemonic(bytes(range(16)))


def visitor(gateway: Gateway, language: str) -> tuple[str, dict[str, str]]:
    response = gateway.client.post("/webchat/api/visitors", json={"language": language})
    assert response.status_code == 201
    body = response.json()
    return body["user_id"], {"Authorization": f"Bearer {body['token']}"}


def say(gateway: Gateway, headers: dict[str, str], *lines: str) -> None:
    for line in lines:
        response = gateway.client.post(
            "/webchat/api/messages", json={"text": line}, headers=headers
        )
        assert response.status_code == 200, response.text


def find(gateway: Gateway, agent: dict[str, str], q: str, **params: Any) -> dict[str, Any]:
    response = gateway.client.get("/api/agent/search", params={"q": q, **params}, headers=agent)
    assert response.status_code == 200, response.text
    return dict(response.json())


def sessions_found(gateway: Gateway, agent: dict[str, str], q: str) -> set[int]:
    return {hit["session_id"] for hit in find(gateway, agent, q)["hits"]}


@pytest.fixture
def desk(gateway: Gateway) -> tuple[Gateway, dict[str, str], dict[str, int], dict[str, str]]:
    """Two users handed off: a Chinese one with a missing TRON transfer, an English one."""
    agent = gateway.agent("ana@example.com")
    zh_user, zh = visitor(gateway, "zh")
    say(
        gateway,
        zh,
        "我的USDT转账三天了还没到账",
        f"哈希是 {TX_HASH}",
        f"to {TRON_ADDRESS}",
        "human",
    )
    en_user, en = visitor(gateway, "en")
    say(gateway, en, "My withdrawal is stuck pending since Monday", "human")
    queue = {s["conversation_id"]: s["id"] for s in gateway.queue(agent)}
    ids = {"zh": queue[f"webchat:{zh_user}"], "en": queue[f"webchat:{en_user}"]}
    return gateway, agent, ids, {"zh": zh_user, "en": en_user}


def test_finds_sessions_by_ticket_user_hash_address_and_text(desk: Any) -> None:
    gateway, agent, ids, users = desk
    zh, en = ids["zh"], ids["en"]
    [by_ticket] = find(gateway, agent, f"T-{zh:06d}")["hits"]
    assert (by_ticket["session_id"], by_ticket["matched"]) == (zh, "ticket")
    assert by_ticket["ticket"] == f"T-{zh:06d}" and by_ticket["channel"] == "webchat"
    assert sessions_found(gateway, agent, f"#{en}") == {en}

    [by_user] = find(gateway, agent, users["en"])["hits"]
    assert (by_user["session_id"], by_user["matched"], by_user["user"]) == (en, "user", users["en"])

    hits = find(gateway, agent, TX_HASH)["hits"]
    assert {h["session_id"] for h in hits} == {zh}
    user_hit = next(h for h in hits if h["author"] == "user")
    start, end = user_hit["highlights"][0]
    assert user_hit["snippet"][start:end].lower() == TX_HASH.lower()
    assert user_hit["at"] and user_hit["message_id"]
    assert sessions_found(gateway, agent, TX_HASH[20:34].upper()) == {zh}  # a piece, any case
    assert sessions_found(gateway, agent, TRON_ADDRESS) == {zh}

    assert sessions_found(gateway, agent, "没到账") == {zh}  # Chinese: no spaces to split on
    assert sessions_found(gateway, agent, "到账") == {zh}  # two characters: no trigram
    assert sessions_found(gateway, agent, "usdt 转账") == {zh}  # every word, any case
    assert sessions_found(gateway, agent, "Withdrawal STUCK") == {en}
    assert sessions_found(gateway, agent, "withdrawal 到账") == set()  # not both in one message
    assert sessions_found(gateway, agent, "no such words anywhere") == set()


def test_results_are_paged_newest_first(desk: Any) -> None:
    gateway, agent, _, _ = desk
    every = find(gateway, agent, "human", limit=50)["hits"]
    assert len(every) >= 4  # each user's "human" and the bot's echo of it
    ids_in_order = [h["message_id"] for h in every]
    assert ids_in_order == sorted(ids_in_order, reverse=True)
    first = find(gateway, agent, "human", limit=2)
    second = find(gateway, agent, "human", limit=2, offset=first["next_offset"])
    assert first["next_offset"] == 2
    assert [h["message_id"] for h in first["hits"] + second["hits"]] == ids_in_order[:4]
    last = find(gateway, agent, "human", limit=50)
    assert last["next_offset"] is None


@pytest.mark.parametrize("recent", [2, 10_000])
def test_short_words_page_the_same_whether_the_newest_messages_hold_the_page(
    desk: Any, recent: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, agent, _, _ = desk
    monkeypatch.setattr(search, "RECENT", recent)  # PostgreSQL tries the newest first
    for word in ("到账", "my", "is"):
        every = [h["message_id"] for h in find(gateway, agent, word, limit=50)["hits"]]
        assert every == sorted(every, reverse=True) and len(every) >= 2, word
        one_by_one = [
            h["message_id"]
            for offset in range(len(every))
            for h in find(gateway, agent, word, limit=1, offset=offset)["hits"]
        ]
        assert one_by_one == every, word


BAD = [
    '"',
    '"unterminated',
    "*",
    "usdt*",
    "NEAR",
    "NEAR(usdt 到账)",
    "-usdt",
    "usdt -转账",
    "usdt OR withdrawal",
    "usdt AND NOT x",
    "text:usdt",
    "^usdt",
    "'; DROP TABLE handoff_messages; --",
    "%",
    "_",
    "\\",
    "{usdt}",
    "usdt\x00",
]


def test_bad_queries_are_answered_plainly(desk: Any) -> None:
    gateway, agent, ids, _ = desk
    long = gateway.client.get("/api/agent/search", params={"q": "a" * 10_000}, headers=agent)
    assert long.status_code == 422
    assert long.json()["detail"] == (
        "the search text is 10000 characters long; at most 200 are accepted"
    )
    for punctuation in ("!!!", "?", "。，！", "--- *** ///", "   "):
        assert find(gateway, agent, punctuation) == {
            "query": punctuation.strip(),
            "terms": [],
            "hits": [],
            "next_offset": None,
        }
    for query in BAD:
        found = find(gateway, agent, query)  # 200, never a database error
        for hit in found["hits"]:  # syntax is text: every hit holds every word
            assert all(t in hit["snippet"].lower() for t in found["terms"])
    assert find(gateway, agent, "%")["hits"] == []  # not a wildcard
    assert sessions_found(gateway, agent, "usdt*") == {ids["zh"]}  # "*" is punctuation
    assert sessions_found(gateway, agent, "usdt -转账") == {ids["zh"]}  # "-" does not exclude
    assert len(gateway.queue(agent)) == 2  # the tables are all there
    no_token = gateway.client.get("/api/agent/search", params={"q": "usdt"})
    assert no_token.status_code == 401


def test_a_redacted_recovery_phrase_is_not_findable(desk: Any) -> None:
    gateway, agent, _, _ = desk
    _, user = visitor(gateway, "en")
    say(gateway, user, f"my seed phrase is {PHRASE} please help", "human")
    words = PHRASE.split()
    assert len(words) == 12
    session = max(s["id"] for s in gateway.queue(agent))
    detail = gateway.client.get(f"/api/agent/sessions/{session}", headers=agent).json()
    said = " ".join(m["text"] for m in detail["messages"])
    assert "[redacted: recovery phrase]" in said  # stored, as the guard left it
    assert " ".join(words[3:6]) not in said
    assert sessions_found(gateway, agent, "redacted recovery") == {session}
    for query in (PHRASE, " ".join(words[:3]), words[7], words[10]):
        assert sessions_found(gateway, agent, query) == set(), query


def test_the_session_view_lists_the_users_earlier_sessions(gateway: Gateway) -> None:
    agent = gateway.agent("ana@example.com")
    _, user = visitor(gateway, "en")
    say(gateway, user, "my deposit never arrived", "human")
    [first] = gateway.queue(agent)
    for step in ("claim", "resolve"):
        response = gateway.client.post(f"/api/agent/sessions/{first['id']}/{step}", headers=agent)
        assert response.status_code == 200, response.text
    say(gateway, user, "5", "still nothing arrived", "dispute")
    [second] = gateway.queue(agent)
    assert second["id"] != first["id"]
    history = gateway.client.get(f"/api/agent/sessions/{second['id']}/history", headers=agent)
    assert [s["id"] for s in history.json()["sessions"]] == [first["id"]]
    assert history.json()["sessions"][0]["state"] == "resolved"
    earlier = gateway.client.get(f"/api/agent/sessions/{first['id']}/history", headers=agent)
    assert earlier.json()["sessions"] == []
    missing = gateway.client.get("/api/agent/sessions/999999/history", headers=agent)
    assert missing.status_code == 404
    # A message belongs to the session open when it was written.
    hits = find(gateway, agent, "deposit never")["hits"]  # the user's, and the bot's echo
    assert {h["session_id"] for h in hits} == {first["id"]} and len(hits) == 2
    assert {h["session_id"] for h in find(gateway, agent, "still nothing")["hits"]} == {
        second["id"]
    }


def test_rows_from_before_the_migration_are_indexed_and_redactions_followed(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        # Written as the schema of 0006 had them: the models know later columns.
        now = utcnow()
        payload = HandoffPayload(
            conversation_id="telegram:424242",
            reason="user_request",
            priority="normal",
            language="en",
            summary="asked for a human",
            created_at=now.isoformat(),
        )
        connection.execute(
            insert(Conversation.__table__).values(
                id="telegram:424242", channel="telegram", created_at=now, sent_since_inbound=0
            )
        )
        connection.execute(
            insert(HandoffSession.__table__).values(
                conversation_id="telegram:424242",
                payload=json.loads(payload.json()),
                payload_key="old-session",
                reason="user_request",
                priority="normal",
                language="en",
                state="queued",
                kind="chat",
                queued_at=now,
            )
        )
        ids = []
        for text in ("an older complaint about fees", "first words: galaxy orbit"):
            result = connection.execute(
                insert(Message.__table__).values(
                    conversation_id="telegram:424242",
                    author="user",
                    kind="message",
                    text=text,
                    created_at=now,
                    pending=False,
                    attempts=0,
                )
            )
            ids.append(result.inserted_primary_key[0])
    old_id, piece_id = ids
    database = session_factory(engine)
    migrate(engine)
    with database.begin() as db:
        messages.add_message(db, "telegram:424242", "user", "a newer complaint about fees")
        messages.redact(db, [piece_id], "recovery phrase")

    def message_ids(db: Session, q: str) -> list[int]:
        hits = search.search(db, search.parse(q), 10, 0)
        return [h.message.id for h in hits if h.message is not None]

    with database() as db:
        found = message_ids(db, "complaint fees")
        assert len(found) == 2 and found[1] == old_id
        assert message_ids(db, "galaxy orbit") == []
        assert message_ids(db, "redacted") == [piece_id]
        assert [h.matched for h in search.search(db, search.parse("424242"), 10, 0)] == ["user"]
    engine.dispose()


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (TX_HASH, "ix_handoff_messages_trgm"),
        ("没到账", "ix_handoff_messages_trgm"),
        ("到账", "ix_handoff_messages_bigrams"),
        ("tx", "ix_handoff_messages_words"),
    ],
)
def test_postgres_answers_each_kind_of_word_from_an_index(query: str, index: str) -> None:
    from sqlalchemy import select

    from store.models import Message
    from tests.support.services import fresh_schema

    with fresh_schema() as url:
        engine = make_engine(url)
        migrate(engine)
        with session_factory(engine)() as db:
            db.execute(text("SET enable_seqscan = off"))  # an empty table: only the plan matters
            statement = select(Message.id).where(*search.matching(db, search.parse(query).terms))
            compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(r[0] for r in db.execute(text(f"EXPLAIN {compiled}")))
        engine.dispose()
    assert index in plan, plan


def test_postgres_never_tests_every_message_for_a_short_word() -> None:
    """A full-text word's row estimate is capped at 0.5%: ordered by id, PostgreSQL
    would walk the primary key testing every row (seconds over 1M messages)."""
    from sqlalchemy import event

    from tests.support.services import fresh_schema

    with fresh_schema() as url:
        engine = make_engine(url)
        migrate(engine)
        with session_factory(engine).begin() as db:
            payload = HandoffPayload(
                conversation_id="webchat:many",
                reason="user_request",
                priority="normal",
                language="zh",
                summary="asked for a human",
                created_at=utcnow().isoformat(),
            )
            handoffs.open_session(db, payload, "webchat")
            rows = [{"t": f"第{n}条 message number {n} 转账"} for n in range(20_000)]
            db.execute(
                text(
                    "INSERT INTO handoff_messages (conversation_id, author, kind, text, "
                    "created_at, pending, attempts) "
                    "VALUES ('webchat:many', 'user', 'message', :t, now(), false, 0)"
                ),
                rows,
            )
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE handoff_messages")
        statements: list[tuple[str, Any]] = []

        def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if "FROM handoff_messages" in statement and "ORDER BY" in statement:
                statements.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", seen)
        with session_factory(engine)() as db:
            for word in ("zq", "钱包"):
                assert search.search(db, search.parse(word), 21, 0) == []
        event.remove(engine, "before_cursor_execute", seen)
        assert statements
        with engine.connect() as connection:
            for statement, parameters in statements:
                plan = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
                assert "Index Scan Backward" not in str(plan), plan
        engine.dispose()
