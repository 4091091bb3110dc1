"""Agent hours: whether a handoff can be a live chat now, or becomes a ticket."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from common.settings import WEEKDAYS, DeskSettings


def _clock(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    return time.max if hours == 24 else time(hours, minutes)


def within_agent_hours(settings: DeskSettings, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(settings.timezone))
    if WEEKDAYS[local.weekday()] not in settings.agent_days.split(","):
        return False
    start, end = (_clock(part) for part in settings.agent_hours.split("-"))
    moment = local.time().replace(tzinfo=None)
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # hours that run past midnight, e.g. 22:00-06:00
