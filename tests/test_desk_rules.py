"""Agent hours, rating answers and desk settings: the small rules the desk runs on."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

from common.settings import DeskSettings
from handoff.hours import within_agent_hours
from handoff.ratings import rating

UTC = timezone.utc


@pytest.mark.parametrize(
    ("hours", "days", "utc", "expected"),
    [
        ("09:00-21:00", "mon,tue,wed,thu,fri,sat,sun", "2026-11-24 01:00", True),  # 09:00 CST
        ("09:00-21:00", "mon,tue,wed,thu,fri,sat,sun", "2026-11-24 00:59", False),  # 08:59 CST
        ("09:00-21:00", "mon,tue,wed,thu,fri,sat,sun", "2026-11-24 13:00", False),  # 21:00 CST
        ("09:00-21:00", "mon,tue,wed,thu,fri", "2026-11-28 03:00", False),  # Saturday
        ("22:00-06:00", "mon,tue,wed,thu,fri,sat,sun", "2026-11-24 19:00", True),  # 03:00
        ("22:00-06:00", "mon,tue,wed,thu,fri,sat,sun", "2026-11-24 04:00", False),  # 12:00
        ("00:00-24:00", "mon,tue,wed,thu,fri,sat,sun", "2026-11-24 15:59", True),
    ],
)
def test_agent_hours_in_the_desk_time_zone(hours: str, days: str, utc: str, expected: bool) -> None:
    settings = DeskSettings(agent_hours=hours, agent_days=days, timezone="Asia/Shanghai")
    now = datetime.fromisoformat(utc).replace(tzinfo=UTC)
    assert within_agent_hours(settings, now) is expected


@pytest.mark.parametrize(
    "bad",
    [{"agent_hours": "9 to 5"}, {"agent_days": "monday,funday"}, {"timezone": "Mars/Olympus"}],
)
def test_bad_desk_settings_are_refused_with_a_reason(bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as error:
        DeskSettings(**bad)
    assert next(iter(bad)) in str(error.value)


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("4", 4),
        (" 5 ", 5),
        ("⭐⭐⭐", 3),
        ("★★★★★", 5),
        ("4分", 4),
        ("4/5", 4),
        ("1", 1),
        ("0", None),
        ("6", None),
        ("45", None),
        ("my order 12345 is missing", None),
        ("what are your hours", None),
    ],
)
def test_rating_answers(text: str, score: int | None) -> None:
    assert rating(text) == score
