"""Phone hours (``SUPPORT_PHONE_HOURS``, read in ``DESK_TIMEZONE`` like the agent hours) and
the callback slots inside them: half-hour windows from the opening time on."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

SLOT = timedelta(minutes=30)
# A slot starting sooner than this can't be promised: an agent needs time to pick it up.
LEAD = timedelta(minutes=15)
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—~至到]\s*(\d{1,2}):(\d{2})\s*$")


def span(hours: str) -> tuple[time, time]:
    """``"09:00–21:00"`` (a hyphen or a dash) as opening and closing times."""
    found = _SPAN.match(hours)
    if not found:
        raise ValueError("write phone hours as HH:MM–HH:MM, e.g. 09:00–21:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
        raise ValueError("phone hours open before they close, within one day")
    return time(h1, m1), time.max if h2 == 24 else time(h2, m2)


def _day_slots(hours: str, zone: ZoneInfo, day: datetime) -> list[datetime]:
    opening, closing = span(hours)
    start = datetime.combine(day.date(), opening, zone)
    close = datetime.combine(day.date(), closing, zone)
    slots = []
    while start + SLOT <= close + timedelta(microseconds=1):
        slots.append(start)
        start += SLOT
    return slots


def next_slots(hours: str, zone: str, after: datetime, count: int = 3) -> list[datetime]:
    """The first *count* slots starting at or after *after* (aware), in *zone*."""
    where = ZoneInfo(zone)
    local = after.astimezone(where)
    found: list[datetime] = []
    for days in range(8):
        day = local + timedelta(days=days)
        found += [s for s in _day_slots(hours, where, day) if s >= local]
        if len(found) >= count:
            break
    return found[:count]


def open_now(hours: str, zone: str, now: datetime) -> bool:
    opening, closing = span(hours)
    moment = now.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    return opening <= moment < closing


def slot_at(hours: str, zone: str, moment: datetime, now: datetime) -> datetime | None:
    """The slot holding *moment*, if it is inside phone hours and far enough ahead."""
    where = ZoneInfo(zone)
    local = moment.astimezone(where)
    for start in _day_slots(hours, where, local):
        if start <= local < start + SLOT:
            return start if local >= now + LEAD else None
    return None


def day_slots(
    hours: str, zone: str, day: datetime, now: datetime, count: int = 3
) -> list[datetime]:
    """Slots on *day* (a date in *zone*) from *now* + the lead on: "tomorrow" answered."""
    where = ZoneInfo(zone)
    start = max(datetime.combine(day.date(), time(0), where), now + LEAD)
    return [s for s in next_slots(hours, zone, start, count) if s.date() == day.date()]


_WEEKDAYS = {
    "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}


def label(start: datetime, language: str, zone: str) -> str:
    """A slot as the user reads it: "12月2日 周三 10:00–10:30", "Wed 2 Dec, 10:00–10:30"."""
    local = start.astimezone(ZoneInfo(zone))
    clock = f"{local:%H:%M}–{local + SLOT:%H:%M}"
    day = _WEEKDAYS.get(language, _WEEKDAYS["en"])[local.weekday()]
    if language == "zh":
        return f"{local.month}月{local.day}日 {day} {clock}"
    month = _MONTHS.get(language, _MONTHS["en"])[local.month - 1]
    return f"{day} {local.day} {month}, {clock}"
