from datetime import datetime

import pytest

from bot.nlu.timeparse import parse_time

NOW = datetime(2026, 11, 23, 10, 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("昨天下午三点", "2026-11-22T15:00+08:00"),
        ("两个小时前", "2026-11-23T08:00+08:00"),
        ("半小时前", "2026-11-23T09:30+08:00"),
        ("yesterday at 3pm", "2026-11-22T15:00+08:00"),
        ("3pm", "2026-11-22T15:00+08:00"),
        ("hace 2 horas", "2026-11-23T08:00+08:00"),
        ("ayer a las 3 de la tarde", "2026-11-22T15:00+08:00"),
        ("2024-05-01 14:00", "2024-05-01T14:00+08:00"),
        ("2024年5月3日 14:30", "2024-05-03T14:30+08:00"),
        ("anoche", "2026-11-22"),
    ],
)
def test_parses_what_users_type(raw: str, expected: str) -> None:
    assert parse_time(raw, NOW) == expected


@pytest.mark.parametrize("raw", ["", "no idea", "sometime last week maybe"])
def test_unreadable_times_stay_unparsed(raw: str) -> None:
    assert parse_time(raw, NOW) is None


@pytest.mark.parametrize(
    ("raw", "zone", "expected"),
    [
        # The user's own time zone (the page's), when no offset is written.
        ("yesterday at 3pm", "Europe/Madrid", "2026-11-22T15:00+01:00"),
        ("ayer a las 3 de la tarde", "America/Mexico_City", "2026-11-22T15:00-06:00"),
        # An offset the user wrote wins over the zone.
        ("yesterday 3pm UTC-3", "Asia/Shanghai", "2026-11-22T15:00-03:00"),
        ("北京时间昨天下午三点", "Europe/London", "2026-11-22T15:00+08:00"),
        # An unknown zone name falls back to the desk's.
        ("3pm", "Mars/Olympus", "2026-11-22T15:00+08:00"),
    ],
)
def test_a_parsed_time_carries_its_offset(raw: str, zone: str, expected: str) -> None:
    parsed = parse_time(raw, NOW, zone)
    assert parsed == expected
    assert datetime.fromisoformat(parsed).tzinfo is not None  # never a naive 15:00
