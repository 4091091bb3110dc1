"""Analytics figures against a hand-computed seed (tests/support/analytics_seed.py), on
SQLite and PostgreSQL; the API's access rule, periods and CSV exports; and the gateway
recording each bot turn's outcome."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff import analytics
from store.db import make_engine, migrate, session_factory
from store.outcomes import TurnOutcome
from tests.fakes.rasa import FakeRasa
from tests.support import analytics_seed
from tests.support.gateway import Gateway

UTC = ZoneInfo("UTC")
SEEDED = {"period": "custom", "start": "2026-11-20", "end": "2026-11-22", "tz": "UTC"}


@pytest.fixture
def seeded(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    migrate(engine)
    with session_factory(engine).begin() as db:
        analytics_seed.seed(db)
    with session_factory(engine)() as db:
        yield db
    engine.dispose()


def _report(db: Session, zone: ZoneInfo = UTC, **filters: str) -> dict:
    chosen = analytics.period(
        "custom", zone, datetime.now(timezone.utc), date(2026, 11, 20), date(2026, 11, 22)
    )
    return analytics.report(db, chosen.scope(filters.get("channel"), filters.get("language")))


def test_every_figure_matches_the_hand_computed_seed(seeded: Session) -> None:
    data = _report(seeded)
    conversations = data["conversations"]
    # c1..c6 and c9; c1 (answers) and c3 (one miss) resolved; c2 missed twice, c4-c6 were
    # handed off in the period, c9 was in a chat that began the evening before.
    assert (conversations["total"], conversations["bot_resolved"]) == (7, 2)
    assert conversations["bot_resolved_share"] == pytest.approx(2 / 7)
    assert [
        (r["label"], r["conversations"], r["bot_resolved"]) for r in conversations["series"]
    ] == [
        ("2026-11-20", 3, 1),
        ("2026-11-21", 2, 1),
        ("2026-11-22", 2, 0),
    ]
    assert data["handoffs"]["total"] == 3
    assert data["handoffs"]["by_reason"] == [
        {"reason": "user_request", "count": 2},
        {"reason": "no_answer", "count": 1},
    ]
    # First replies 120, 7200, 30 s (the note at 10 s is no reply); resolves 1800, 10800 s.
    assert data["times"]["first_reply"] == {"count": 3, "median": 120.0, "p90": 7200.0}
    assert data["times"]["resolve"] == {"count": 2, "median": 6300.0, "p90": 10800.0}
    tickets = data["tickets"]
    assert (tickets["opened"], tickets["breaches"]) == (1, 2)  # c7's breach fell on the 20th
    assert [(r["tickets"], r["breaches"]) for r in tickets["series"]] == [(0, 1), (0, 0), (1, 1)]
    csat = data["csat"]
    assert csat["count"] == 3 and csat["average"] == pytest.approx(11 / 3)
    assert [r["count"] for r in csat["distribution"]] == [0, 1, 0, 1, 1]
    hours = {r["hour"]: r["messages"] for r in data["hours"] if r["messages"]}
    assert hours == {0: 1, 1: 1, 8: 1, 9: 1, 10: 2, 12: 1, 20: 1, 23: 1}
    assert [
        (a["name"], a["sessions"], a["median_first_reply"], a["csat_average"], a["csat_count"])
        for a in data["agents"]
    ] == [("Ada", 2, 75.0, 5.0, 1), ("Ben", 1, 7200.0, 3.0, 2)]


def test_channel_and_language_filters(seeded: Session) -> None:
    telegram = _report(seeded, channel="telegram")  # c2 and c5
    assert (telegram["conversations"]["total"], telegram["conversations"]["bot_resolved"]) == (2, 0)
    assert telegram["handoffs"]["by_reason"] == [{"reason": "no_answer", "count": 1}]
    assert telegram["csat"]["count"] == 1 and telegram["csat"]["average"] == 2.0
    assert {r["hour"] for r in telegram["hours"] if r["messages"]} == {1, 8, 23}
    english = _report(seeded, language="en")  # c1, c4, c5; sessions s1, s2 (and s0's rating)
    assert (english["conversations"]["total"], english["conversations"]["bot_resolved"]) == (3, 1)
    assert english["handoffs"]["total"] == 2
    assert english["times"]["first_reply"]["median"] == pytest.approx(3660.0)
    assert english["csat"]["count"] == 3
    nothing = _report(seeded, channel="rest")
    assert nothing["conversations"]["total"] == 0 and nothing["agents"] == []


def test_days_and_hours_follow_the_viewers_time_zone(seeded: Session) -> None:
    # Shanghai is UTC+8: the period is 11-19 16:00 .. 11-22 16:00 UTC, so c6 falls out,
    # c2 (23:30 UTC on the 20th) starts on the 21st, and c9 (00:30 UTC) is at 08:30.
    data = _report(seeded, ZoneInfo("Asia/Shanghai"))
    series = [
        (r["label"], r["conversations"], r["bot_resolved"]) for r in data["conversations"]["series"]
    ]
    assert series == [("2026-11-20", 2, 1), ("2026-11-21", 3, 1), ("2026-11-22", 1, 0)]
    hours = {r["hour"]: r["messages"] for r in data["hours"] if r["messages"]}
    assert hours == {7: 1, 8: 1, 9: 1, 16: 1, 17: 1, 18: 2, 20: 1}


def test_periods() -> None:
    now = datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)  # already Dec 1 in Shanghai
    shanghai = ZoneInfo("Asia/Shanghai")
    today = analytics.period("today", shanghai, now)
    assert (today.first, today.last) == (date(2026, 12, 1), date(2026, 12, 1))
    assert today.start == datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)
    assert today.scope(None, None).bucket == 3600  # one day: hourly bars
    week = analytics.period("7d", shanghai, now)
    assert (week.first, week.last) == (date(2026, 11, 25), date(2026, 12, 1))
    assert analytics.period("30d", UTC, now).first == date(2026, 11, 1)
    for bad in [
        ("week", None, None),
        ("custom", None, None),
        ("custom", date(2026, 11, 2), date(2026, 11, 1)),
        ("custom", date(2025, 1, 1), date(2026, 11, 1)),
    ]:
        with pytest.raises(analytics.PeriodError):
            analytics.period(bad[0], UTC, now, bad[1], bad[2])


def test_median_and_nearest_rank_p90() -> None:
    assert analytics.median([]) is None and analytics.p90([]) is None
    assert analytics.median([3, 1, 2, 10]) == 2.5
    assert analytics.p90(list(range(1, 11))) == 9  # 9 of 10 within 9
    assert analytics.p90(list(range(1, 12))) == 10  # ceil(9.9) = 10th value


@pytest.fixture
def gateway(database_url: str) -> Iterator[Gateway]:
    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        engine = make_engine(database_url)
        with session_factory(engine).begin() as db:
            analytics_seed.seed(db)
        engine.dispose()
        yield gateway


def _login(gateway: Gateway, email: str) -> dict[str, str]:
    response = gateway.client.post(
        "/api/agent/login", json={"email": email, "password": analytics_seed.PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_the_api_is_for_supervisors_and_exports_csv(gateway: Gateway) -> None:
    ada, ben = _login(gateway, "ada@example.com"), _login(gateway, "ben@example.com")
    get = gateway.client.get
    assert get("/api/agent/analytics", params=SEEDED).status_code == 401
    assert get("/api/agent/analytics", params=SEEDED, headers=ben).status_code == 403
    assert get("/api/agent/analytics/agents.csv", params=SEEDED, headers=ben).status_code == 403
    response = get("/api/agent/analytics", params=SEEDED, headers=ada)
    assert response.status_code == 200, response.text
    assert response.json()["conversations"]["total"] == 7
    filtered = get("/api/agent/analytics", params={**SEEDED, "channel": "telegram"}, headers=ada)
    assert filtered.json()["conversations"]["total"] == 2

    exported = get("/api/agent/analytics/agents.csv", params=SEEDED, headers=ada)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows == [
        ["agent", "sessions", "median_first_reply_seconds", "csat_average", "ratings"],
        ["Ada", "2", "75.00", "5.00", "1"],
        ["Ben", "1", "7200.00", "3.00", "2"],
    ]
    conversations = list(
        csv.reader(
            io.StringIO(
                get("/api/agent/analytics/conversations.csv", params=SEEDED, headers=ada).text
            )
        )
    )
    assert conversations[1:] == [
        ["2026-11-20", "3", "1"],
        ["2026-11-21", "2", "1"],
        ["2026-11-22", "2", "0"],
    ]

    empty = {**SEEDED, "start": "2025-01-01", "end": "2025-01-31"}
    for chart in analytics.CHARTS:
        response = get(f"/api/agent/analytics/{chart}.csv", params=empty, headers=ada)
        assert response.status_code == 200, (chart, response.text)
        assert len(response.text.strip().splitlines()) == 1, chart  # the header alone
    assert get("/api/agent/analytics/nope.csv", params=SEEDED, headers=ada).status_code == 404
    for bad in [{"period": "week"}, {**SEEDED, "end": "2026-11-01"}, {**SEEDED, "tz": "Mars/Base"}]:
        assert get("/api/agent/analytics", params=bad, headers=ada).status_code == 422


def test_a_csv_cell_never_starts_a_formula() -> None:
    data = {
        "agents": [
            {
                "name": "=HYPERLINK(1)",
                "sessions": 1,
                "median_first_reply": None,
                "csat_average": None,
                "csat_count": 0,
            }
        ]
    }
    assert "'=HYPERLINK(1)" in analytics.to_csv(data, "agents")


class MissingRasa(FakeRasa):
    """FakeRasa with the real bot's miss: an outcome marker, and buttons or none."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        sender, text = body["sender"], body["message"]
        if text.startswith("miss"):
            # The nearest articles as buttons, or (a second miss) the offer of a human.
            article = {"title": "Fees", "payload": '/choose_article{"article": "fees"}'}
            offer = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
            buttons = [article] if text == "miss with buttons" else offer
            return httpx.Response(
                200,
                json=[
                    {"recipient_id": sender, "custom": {"outcome": "miss"}},
                    {"recipient_id": sender, "text": "Sorry, I don't know.", "buttons": buttons},
                ],
            )
        return super().__call__(request)


def test_the_gateway_records_each_bot_turns_outcome(database_url: str) -> None:
    gateway = Gateway(database_url, MissingRasa())
    with gateway.client:
        visitor = gateway.visitor("en")
        for text in ["hello", "miss", "miss with buttons", "human"]:
            assert gateway.say(visitor, text).status_code == 200
        with gateway.parts.desk.database() as db:
            recorded = db.execute(select(TurnOutcome.outcome).order_by(TurnOutcome.id)).scalars()
            assert list(recorded) == ["answer", "miss", "suggest", "handoff"]
