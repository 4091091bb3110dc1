from datetime import datetime

import pytest

from bot.nlu.timeparse import parse_time

NOW = datetime(2026, 11, 23, 10, 0)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("昨天下午三点", "2026-11-22T15:00"),
        ("两个小时前", "2026-11-23T08:00"),
        ("半小时前", "2026-11-23T09:30"),
        ("yesterday at 3pm", "2026-11-22T15:00"),
        ("3pm", "2026-11-22T15:00"),
        ("hace 2 horas", "2026-11-23T08:00"),
        ("ayer a las 3 de la tarde", "2026-11-22T15:00"),
        ("2024-05-01 14:00", "2024-05-01T14:00"),
        ("2024年5月3日 14:30", "2024-05-03T14:30"),
        ("anoche", "2026-11-22"),
    ],
)
def test_parses_what_users_type(raw: str, expected: str) -> None:
    assert parse_time(raw, NOW) == expected


@pytest.mark.parametrize("raw", ["", "no idea", "sometime last week maybe"])
def test_unreadable_times_stay_unparsed(raw: str) -> None:
    assert parse_time(raw, NOW) is None
