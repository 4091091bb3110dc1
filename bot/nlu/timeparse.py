"""Read free-form transfer times ("昨天下午三点", "hace 2 horas", "yesterday 3pm").

The raw text is always kept; this only adds a parsed value when it can. It
handles the relative forms users actually type in zh/en/es and hands anything
else (absolute dates, English phrases) to dateparser.

A moment is read as the user's wall-clock time and always carries its offset
(``2026-11-29T15:00+08:00``): an offset the user wrote ("UTC-3", "北京时间"), else the
user's time zone (the page's), else the desk's. A bare ``15:00`` would be read in
whatever time zone the reader is in, so an agent in UTC saw 3 pm Shanghai as 3 pm.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Asia/Shanghai"  # the desk's (DESK_TIMEZONE's default)
_OFFSET = re.compile(
    r"(?:utc|gmt)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?"
    r"|(?P<beijing>北京时间|beijing time|china time|hora de (?:china|pek[ií]n))",
    re.IGNORECASE,
)

_DAY_OFFSETS = {
    "前天": -2, "day before yesterday": -2, "anteayer": -2, "antes de ayer": -2,
    "昨天": -1, "昨晚": -1, "yesterday": -1, "last night": -1, "ayer": -1, "anoche": -1,
    "今天": 0, "今早": 0, "今晚": 0, "today": 0, "tonight": 0, "this morning": 0,
    "this afternoon": 0, "this evening": 0, "hoy": 0, "esta mañana": 0, "esta manana": 0,
    "esta tarde": 0, "esta noche": 0,
}  # fmt: skip
# A callback's time looks ahead: "明天上午10点", "tomorrow at 10", "mañana a las 10".
_FUTURE_DAYS = {
    "明天": 1, "明早": 1, "明晚": 1, "后天": 2, "後天": 2, "今天": 0, "今晚": 0, "今早": 0,
    "tomorrow": 1, "day after tomorrow": 2, "today": 0, "tonight": 0, "this afternoon": 0,
    "this evening": 0, "mañana": 1, "manana": 1, "pasado mañana": 2, "pasado manana": 2,
    "hoy": 0, "esta tarde": 0, "esta noche": 0,
}  # fmt: skip
# "por la mañana" is "in the morning", not "tomorrow".
_MORNING = re.compile(r"(?:por|de|en) la ma[nñ]ana")
_AT = re.compile(r"\b(?:at|around|about)\s+(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\b")
_PM = ("下午", "晚上", "傍晚", "今晚", "昨晚", "pm", "p.m.", "tarde", "noche", "anoche", "evening",
       "tonight", "last night")  # fmt: skip
_AGO = re.compile(
    r"(?P<n>\d+(?:\.\d+)?|半)\s*(?:个)?\s*(?P<unit>小时|钟头|分钟|天|周|hours?|hrs?|h|minutes?|mins?"
    r"|days?|weeks?|horas?|minutos?|d[ií]as?|semanas?)\s*(?:前|ago)?"
)
_HACE = re.compile(r"hace\s+(?P<n>\d+|una?|media)\s+(?P<unit>horas?|minutos?|d[ií]as?|semanas?)")
_CLOCK = re.compile(
    r"(?:(?P<h>\d{1,2})\s*(?:[:：](?P<m>\d{2}))?\s*(?P<suffix>am|pm|a\.m\.|p\.m\.|点半|点|點|时|h\b)"
    r"|(?P<h2>\d{1,2})[:：](?P<m2>\d{2})|a las (?P<h3>\d{1,2})(?:[:：](?P<m3>\d{2}))?)"
)
_UNIT_SECONDS = {"小": 3600, "钟": 3600, "h": 3600, "分": 60, "m": 60, "天": 86400, "d": 86400,
                 "周": 604800, "w": 604800, "s": 604800}  # fmt: skip


def _seconds(unit: str) -> int:
    unit = unit.lower()
    if unit.startswith(("hora", "hour", "hr")) or unit == "h":
        return 3600
    if unit.startswith(("min",)):
        return 60
    if unit.startswith(("day", "dia", "día")):
        return 86400
    if unit.startswith(("week", "semana")):
        return 604800
    return _UNIT_SECONDS.get(unit[0], 3600)


_ABSOLUTE = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}月\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}")


def zone_of(raw: str, zone: str | None = None) -> tzinfo:
    """The offset *raw* names, else the IANA *zone* (the user's), else the desk's."""
    named = _OFFSET.search(raw)
    if named and named.group("beijing"):
        return ZoneInfo("Asia/Shanghai")
    if named:
        sign = -1 if named.group("sign") == "-" else 1
        hours, minutes = int(named.group("h")), int(named.group("m") or 0)
        if hours <= 14 and minutes < 60:
            return timezone(sign * timedelta(hours=hours, minutes=minutes))
    for name in (zone, DEFAULT_ZONE):
        if name:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return ZoneInfo(name)
    return timezone.utc


def parse_time(
    raw: str, now: datetime | None = None, zone: str | None = None, future: bool = False
) -> str | None:
    """Best reading of *raw* as a past (or, with *future*, a coming) moment in ISO 8601
    with its offset, or ``None``.

    *now* is naive (the user's wall clock) or aware; *zone* is the user's IANA time
    zone, if known. A day without a clock time ("yesterday") comes back as a date only.
    """
    where = zone_of(raw, zone)
    if now is None:
        now = datetime.now(where)
    wall = now.astimezone(where).replace(tzinfo=None) if now.tzinfo else now
    moment = _parse(_OFFSET.sub(" ", raw), wall, future)
    if moment is None:
        return None
    if isinstance(moment, tuple):
        return moment[0].date().isoformat()
    return moment.replace(tzinfo=where).isoformat(timespec="minutes")


def _parse(
    raw: str, now: datetime | None, future: bool = False
) -> datetime | tuple[datetime] | None:
    import cn2an

    now = (now or datetime.now()).replace(microsecond=0)
    text = raw.strip().lower()
    if not text:
        return None
    with contextlib.suppress(ValueError, KeyError, IndexError):
        text = cn2an.transform(text, "cn2an")
    if _ABSOLUTE.search(text):
        return _dateparser(raw, now, future)
    if future:
        text = _MORNING.sub(" ", text)
    hace = _HACE.search(text)
    if hace:
        n = hace.group("n")
        amount = 1.0 if n in ("un", "una") else 0.5 if n == "media" else float(n)
        return now - timedelta(seconds=amount * _seconds(hace.group("unit")))
    ago = _AGO.search(text)
    if ago and ("前" in text or "ago" in text):
        n = ago.group("n")
        amount = 0.5 if n == "半" else float(n)
        return now - timedelta(seconds=amount * _seconds(ago.group("unit")))
    days = _FUTURE_DAYS if future else _DAY_OFFSETS
    offset = next((d for phrase, d in sorted(days.items(), key=lambda p: -len(p[0]))
                   if phrase in text), None)  # fmt: skip
    clock = _CLOCK.search(text) or (_AT.search(text) if future else None)
    if offset is not None or clock:
        day = now + timedelta(days=offset or 0)
        if not clock:
            return (day,)
        found = clock.groupdict()
        hour = int(found.get("h") or found.get("h2") or found.get("h3") or 0)
        minute = int(found.get("m") or found.get("m2") or found.get("m3") or 0)
        if (found.get("suffix") or "") == "点半":
            minute = 30
        if hour < 12 and any(word in text for word in _PM):
            hour += 12
        if hour > 23 or minute > 59:
            return None
        moment = day.replace(hour=hour, minute=minute, second=0)
        if future:  # "at 9" said at 10am means tomorrow's 9
            return moment + timedelta(days=1) if offset is None and moment < now else moment
        # "3pm" said at 10am without a day means yesterday's 3pm.
        return moment - timedelta(days=1) if offset is None and moment > now else moment
    return _dateparser(raw, now, future)


def _dateparser(raw: str, now: datetime, future: bool = False) -> datetime | None:
    import dateparser

    text = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?", r"\1-\2-\3", raw)
    text = re.sub(
        r"(?<![\d-])(\d{1,2})月(\d{1,2})[日号]?", lambda m: f"{now.year}-{m[1]}-{m[2]}", text
    )
    parsed = dateparser.parse(
        text,
        languages=["zh", "en", "es"],
        settings={"PREFER_DATES_FROM": "future" if future else "past", "RELATIVE_BASE": now},
    )  # fmt: skip
    return parsed.replace(tzinfo=None) if parsed else None
