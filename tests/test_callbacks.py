"""Phone callbacks on the desk (issue 19, item 2): the number masked before it is stored
or reaches Rasa, held, booked on a ``callback`` ticket, shown in full to agents only,
and marked done with an outcome. In-process gateway on SQLite and PostgreSQL, Rasa
played by CallbackRasa; the real form is in tests/test_e2e_callback.py."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from store import callback_tables
from store.db import make_engine, session_factory
from store.models import Message
from tests.fakes.callback_rasa import CallbackRasa
from tests.support.gateway import Gateway, texts

NUMBER = "+86 138 0013 8000"
DIGITS = "13800138000"


@pytest.fixture
def desk(database_url: str) -> Iterator[Gateway]:
    gateway = Gateway(database_url, CallbackRasa())
    with gateway.client:
        yield gateway


def _rows(gateway: Gateway, model: type) -> list:  # type: ignore[type-arg]
    engine = make_engine(gateway.url)
    with session_factory(engine)() as db:
        rows = list(db.execute(select(model)).scalars())
    engine.dispose()
    return rows


def _slot() -> str:
    tomorrow = datetime.now(timezone(timedelta(hours=8))) + timedelta(days=1)
    return tomorrow.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


def _book(gateway: Gateway, user: dict[str, str], language: str = "en") -> list[str]:
    said = [
        texts(gateway.say(user, text, language=language))
        for text in ("call me please", f"it's {NUMBER}", f"book {_slot()}")
    ]
    assert said[:2] == [["Which number should we call?"], ["When should we call?"]], said
    return said[2]


def test_a_callback_is_booked_with_the_number_kept_from_rasa_and_the_record(
    desk: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = desk.visitor("en")
    told = _book(desk, user)
    assert len(told) == 1 and "T-0" in told[0] and "ending in 8000" in told[0], told
    assert "10:00–10:30" in told[0]
    sent = [c["message"] for c in desk.rasa.calls]
    assert "it's [phone …8000]" in sent
    assert not any(DIGITS in m or NUMBER in m for m in sent)
    stored = [m.text for m in _rows(desk, Message)]
    assert "it's [phone …8000]" in stored
    assert not any(DIGITS in t or "0013" in t for t in stored)
    assert DIGITS not in caplog.text and "0013 8000" not in caplog.text
    # The number moved from the hold onto the booking: the one place it is in full.
    assert _rows(desk, callback_tables.CallbackHold) == []
    [booked] = _rows(desk, callback_tables.CallbackRequest)
    assert booked.number == "+8613800138000" and booked.state == "booked"


def test_the_agent_sees_the_number_and_marks_the_callback_done(desk: Gateway) -> None:
    user = desk.visitor("zh")
    told = _book(desk, user, "zh")
    assert "尾号 8000" in told[0], told
    dana = desk.agent("dana@example.com")
    [session] = desk.queue(dana)
    assert (session["reason"], session["kind"]) == ("callback", "ticket")
    sid = session["id"]
    detail = desk.client.get(f"/api/agent/sessions/{sid}", headers=dana).json()
    assert DIGITS not in str(detail)  # the transcript and payload hold the token only
    record = desk.client.get(f"/api/agent/sessions/{sid}/callback", headers=dana).json()
    assert record["number"] == NUMBER and record["state"] == "booked"
    assert datetime.fromisoformat(record["slot_start"]) == datetime.fromisoformat(_slot())
    done = f"/api/agent/sessions/{sid}/callback/done"
    # Like a resolve: only once claimed, by whoever claimed it.
    assert desk.client.post(done, json={"outcome": "x"}, headers=dana).status_code == 409
    assert desk.client.post(f"/api/agent/sessions/{sid}/claim", headers=dana).status_code == 200
    sam = desk.agent("sam@example.com")
    assert desk.client.post(done, json={"outcome": "x"}, headers=sam).status_code == 409
    assert desk.client.post(done, json={"outcome": " "}, headers=dana).status_code == 422
    answer = desk.client.post(done, json={"outcome": "Called, reset explained"}, headers=dana)
    assert answer.status_code == 200, answer.text
    assert answer.json()["state"] == "resolved"
    record = desk.client.get(f"/api/agent/sessions/{sid}/callback", headers=dana).json()
    assert (record["state"], record["outcome"]) == ("done", "Called, reset explained")
    assert desk.client.post(done, json={"outcome": "again"}, headers=dana).status_code == 409
    thread = desk.client.get(f"/api/agent/sessions/{sid}", headers=dana).json()["messages"]
    assert any(m["text"] == "Callback done: Called, reset explained" for m in thread)


def test_a_wrong_number_is_masked_and_asked_again(desk: Gateway) -> None:
    user = desk.visitor("es")
    desk.say(user, "call me please")
    assert texts(desk.say(user, "mi número es 12345678")) == ["Which number should we call?"]
    assert desk.rasa.calls[-1]["message"] == "mi número es [invalid phone …5678]"
    assert _rows(desk, callback_tables.CallbackRequest) == []


def test_numbers_in_other_talk_are_left_alone(desk: Gateway) -> None:
    """Only an answer to the number question, or a number given with call words, is
    masked: a dispute's counterparty number or an amount stays what the user wrote."""
    user = desk.visitor("en")
    desk.say(user, "the seller's wechat is 13800138000 and he took 500 USDT")
    assert (
        desk.rasa.calls[-1]["message"] == "the seller's wechat is 13800138000 and he took 500 USDT"
    )
    desk.say(user, "please call me on 13800138000")
    assert desk.rasa.calls[-1]["message"] == "please call me on [phone …8000]"


def test_a_callback_without_a_held_number_tells_the_agent(desk: Gateway) -> None:
    user = desk.visitor("en")
    told = texts(desk.say(user, f"book {_slot()}"))
    assert "ending in ?" in told[0]
    dana = desk.agent("dana@example.com")
    [session] = desk.queue(dana)
    record = desk.client.get(f"/api/agent/sessions/{session['id']}/callback", headers=dana)
    assert record.json()["number"] is None
    thread = desk.client.get(f"/api/agent/sessions/{session['id']}", headers=dana).json()
    assert any("without a number" in m["text"] for m in thread["messages"])


def test_the_users_data_rights_cover_the_number(desk: Gateway) -> None:
    from store import privacy

    user = desk.visitor("en")
    _book(desk, user)
    desk.say(user, "call me please")  # asked again: a hold row exists too
    desk.say(user, "please call me on +34 612 345 678")
    assert len(_rows(desk, callback_tables.CallbackHold)) == 1
    conversation_id = _rows(desk, Message)[0].conversation_id
    engine = make_engine(desk.url)
    with session_factory(engine).begin() as db:
        [conversation] = privacy.conversations_of(db, conversation_id)
        [ticket] = privacy.exported(db, conversation)["tickets"]
        assert ticket["callback"]["number"] == "+8613800138000"
        privacy.erase(db, [conversation.id])
    engine.dispose()
    assert _rows(desk, callback_tables.CallbackRequest) == []
    assert _rows(desk, callback_tables.CallbackHold) == []


def test_a_callback_asked_while_a_ticket_is_open_joins_it(desk: Gateway) -> None:
    user = desk.visitor("en")
    desk.say(user, "dispute", language="en")  # a dispute ticket (nobody online)
    told = _book(desk, user)
    assert "T-000001" in told[0], told
    dana = desk.agent("dana@example.com")
    [session] = desk.queue(dana)
    assert session["reason"] == "dispute" and "callback" in session["tags"]
    record = desk.client.get(f"/api/agent/sessions/{session['id']}/callback", headers=dana)
    assert record.json()["number"] == NUMBER
