"""The callback form's pure parts: numbers read and masked with ``phonenumbers``, slots
inside the phone hours, and callback times read ahead ("明天上午10点")."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.nlu.timeparse import parse_time
from common import phone_hours, phones
from common.settings import ServiceSettings

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOURS = "09:00–21:00"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "region", "masked", "number"),
    [
        ("+86 138 0013 8000", "CN", "[phone …8000]", "+8613800138000"),
        (
            "my number is 138-0013-8000 thanks",
            "CN",
            "my number is [phone …8000] thanks",
            "+8613800138000",
        ),
        ("call +34 612 345 678", "CN", "call [phone …5678]", "+34612345678"),
        ("(201) 555-0123", "US", "[phone …0123]", "+12015550123"),
        ("612 345 678", "ES", "[phone …5678]", "+34612345678"),
    ],
)
def test_valid_numbers_become_their_token(text: str, region: str, masked: str, number: str) -> None:
    read = phones.mask(text, region, attempts=True)
    assert (read.text, read.numbers, read.invalid) == (masked, [number], False)


@pytest.mark.parametrize("text", ["12345678", "+86 12345", "555-1234-99", "0000000000"])
def test_digits_that_make_no_number_are_masked_only_when_asked(text: str) -> None:
    assert phones.mask(text, "CN").text == text
    read = phones.mask(text, "CN", attempts=True)
    assert read.invalid and read.numbers == []
    assert read.text.startswith("[invalid phone …") and text not in read.text


def test_short_numbers_and_hashes_are_not_numbers() -> None:
    text = "tomorrow at 10:30, 500 USDT, tx 0x3f13892345678901abcdef"
    assert phones.mask(text, "CN", attempts=True).text == text


def test_the_example_is_a_valid_number_of_the_region() -> None:
    for region in ("CN", "US", "ES"):
        example = phones.example(region)
        assert phones.parse(example, region) is not None, example
    assert phones.example("CN").startswith("+86 ")


def test_a_bad_region_or_phone_hours_stop_the_start() -> None:
    with pytest.raises(ValueError):
        ServiceSettings(callback_region="china")
    with pytest.raises(ValueError):
        ServiceSettings(phone_hours="nine to nine")
    with pytest.raises(ValueError):
        phone_hours.span("21:00-09:00")
    assert phone_hours.span("09:00-21:00") == phone_hours.span(HOURS)


def test_inside_the_hours_the_next_slots_are_today() -> None:
    now = at(1, 10, 5)
    slots = phone_hours.next_slots(HOURS, "Asia/Shanghai", now + phone_hours.LEAD)
    assert slots == [at(1, 10, 30), at(1, 11), at(1, 11, 30)]
    assert phone_hours.open_now(HOURS, "Asia/Shanghai", now)


def test_outside_the_hours_the_next_slots_are_at_the_opening() -> None:
    now = at(1, 22, 40)
    assert not phone_hours.open_now(HOURS, "Asia/Shanghai", now)
    slots = phone_hours.next_slots(HOURS, "Asia/Shanghai", now)
    assert slots == [at(2, 9), at(2, 9, 30), at(2, 10)]
    last = phone_hours.next_slots(HOURS, "Asia/Shanghai", at(1, 20, 31))
    assert last[0] == at(2, 9)  # 20:30–21:00 has begun: the last slot of the day is gone


def test_an_asked_moment_gets_its_slot_when_inside_and_far_enough_ahead() -> None:
    now = at(1, 10, 5)
    zone = "Asia/Shanghai"
    assert phone_hours.slot_at(HOURS, zone, at(2, 10), now) == at(2, 10)
    assert phone_hours.slot_at(HOURS, zone, at(2, 10, 10), now) == at(2, 10)
    assert phone_hours.slot_at(HOURS, zone, at(2, 22), now) is None  # after closing
    assert phone_hours.slot_at(HOURS, zone, at(2, 7), now) is None  # before opening
    assert phone_hours.slot_at(HOURS, zone, at(1, 10, 10), now) is None  # too soon
    assert phone_hours.slot_at(HOURS, zone, at(1, 9), now) is None  # past
    utc = at(2, 10).astimezone(timezone.utc)  # the same moment, written in UTC
    assert phone_hours.slot_at(HOURS, zone, utc, now) == at(2, 10)


def test_a_day_alone_offers_that_days_slots() -> None:
    assert phone_hours.day_slots(HOURS, "Asia/Shanghai", at(2, 0), at(1, 22)) == [
        at(2, 9),
        at(2, 9, 30),
        at(2, 10),
    ]


def test_slots_read_in_each_language() -> None:
    zone = "Asia/Shanghai"
    assert phone_hours.label(at(2, 10), "zh", zone) == "12月2日 周三 10:00–10:30"
    assert phone_hours.label(at(2, 10), "en", zone) == "Wed 2 Dec, 10:00–10:30"
    assert phone_hours.label(at(2, 10), "es", zone) == "mié 2 dic, 10:00–10:30"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tomorrow at 10", "2026-12-02T10:00+08:00"),
        ("明天上午10点", "2026-12-02T10:00+08:00"),
        ("明天上午十点", "2026-12-02T10:00+08:00"),
        ("mañana a las 10", "2026-12-02T10:00+08:00"),
        ("mañana por la mañana a las 11", "2026-12-02T11:00+08:00"),
        ("后天下午3点", "2026-12-03T15:00+08:00"),
        ("at 3pm", "2026-12-02T15:00+08:00"),  # said at 20:30: tomorrow's
        ("明天", "2026-12-02"),
        ("tomorrow", "2026-12-02"),
    ],
)
def test_callback_times_are_read_ahead(raw: str, expected: str) -> None:
    now = datetime(2026, 12, 1, 20, 30)
    assert parse_time(raw, now=now, zone="Asia/Shanghai", future=True) == expected


def test_transfer_times_are_still_read_back() -> None:
    now = datetime(2026, 12, 1, 20, 30)
    assert parse_time("ayer por la mañana", now=now, zone="Asia/Shanghai") == "2026-11-30"
    assert parse_time("3pm", now=datetime(2026, 12, 1, 10), zone="Asia/Shanghai").startswith(
        "2026-11-30T15:00"
    )
    assert parse_time("mañana", now=now, zone="Asia/Shanghai", future=True) == "2026-12-02"
