"""The Analytics page's figures: a period in the viewer's time zone, the store's rows
turned into charts, and each chart as CSV.

Definitions (docs/desk-api.md, "Analytics"):

- a *conversation* counts once, on the day of its first user message in the period;
  the bot *resolved* it when no handoff session was open at any time in the period
  and it missed (no article fitted) fewer than two times;
- handoffs, tickets, first replies and resolve times are of the sessions opened in the
  period; an SLA breach counts when the session was first seen past its deadline;
  ratings count when given;
- the median is the middle value (the mean of the two middle ones); p90 is the
  nearest rank: the smallest time that at least 90% of sessions were within.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from store import analytics
from store.analytics import Scope
from store.snapshot import read_together

PERIODS = ("today", "7d", "30d", "custom")
MAX_DAYS = 366
SCORES = (1, 2, 3, 4, 5)
CHARTS = ("conversations", "handoffs", "times", "tickets", "csat", "hours", "agents")


class PeriodError(ValueError):
    """A period the page can't show (unknown, reversed, or longer than a year)."""


@dataclass(frozen=True)
class Period:
    first: date  # the viewer's first day, inclusive
    last: date  # the viewer's last day, inclusive
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone).astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(
            timezone.utc
        )

    def scope(self, channel: str | None, language: str | None) -> Scope:
        # One offset for the whole period: a daylight-saving change inside it shifts the
        # buckets after it by an hour (the totals are exact either way).
        offset = self.zone.utcoffset(datetime.combine(self.first, time()))
        return Scope(
            start=self.start,
            end=self.end,
            channel=channel or None,
            language=language or None,
            offset=int(offset.total_seconds()) if offset is not None else 0,
            bucket=3600 if self.first == self.last else 86400,
        )


def period(
    kind: str, zone: ZoneInfo, now: datetime, first: date | None = None, last: date | None = None
) -> Period:
    """today, the last 7 or 30 days (today included), or *first*..*last* (custom)."""
    today = now.astimezone(zone).date()
    if kind == "today":
        return Period(today, today, zone)
    if kind in ("7d", "30d"):
        return Period(today - timedelta(days=int(kind[:-1]) - 1), today, zone)
    if kind != "custom":
        raise PeriodError(f"period is one of {', '.join(PERIODS)}")
    if first is None or last is None:
        raise PeriodError("a custom period needs a start and an end date")
    if last < first:
        raise PeriodError("the end date is before the start date")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"a period is at most {MAX_DAYS} days")
    return Period(first, last, zone)


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[math.ceil(0.9 * len(ordered)) - 1])


def _labels(scope: Scope) -> list[tuple[int, str]]:
    """Every bucket of the period and its label in the viewer's time."""
    first = (int(scope.start.timestamp()) + scope.offset) // scope.bucket
    last = (int(scope.end.timestamp()) - 1 + scope.offset) // scope.bucket
    form = "%Y-%m-%d %H:00" if scope.bucket < 86400 else "%Y-%m-%d"
    return [
        (b, datetime.fromtimestamp(b * scope.bucket, timezone.utc).strftime(form))
        for b in range(first, last + 1)
    ]


def _bucket_of(moment: datetime, scope: Scope) -> int:
    return (int(moment.timestamp()) + scope.offset) // scope.bucket


def _times(values: list[float]) -> dict[str, Any]:
    return {"count": len(values), "median": median(values), "p90": p90(values)}


def report(db: Session, scope: Scope, raw: bool = False) -> dict[str, Any]:
    """Every chart of the page for *scope*; times in seconds. *raw*: count the messages
    themselves rather than the roll-up (the benchmark's "before")."""
    labels = _labels(scope)
    # The active conversations are most of the work: all of them and those left to
    # humans each on a connection of their own, beside the sessions and the rest (one
    # snapshot: the figures agree as in one transaction).
    total, unresolved, sessions, (breaches, rated, hours) = read_together(
        db,
        [
            lambda s: analytics.active(s, scope, raw),
            lambda s: analytics.active(s, scope, raw, unresolved=True),
            lambda s: analytics.sessions(s, scope),
            lambda s: (
                analytics.breaches(s, scope),
                analytics.ratings(s, scope),
                analytics.busiest_hours(s, scope, raw),
            ),
        ],
        setup=analytics.prepare,
    )
    per_bucket = {b: (n, n - unresolved[b]) for b, n in total.items()}
    total = sum(n for n, _ in per_bucket.values())
    resolved = sum(r for _, r in per_bucket.values())
    breached = Counter(_bucket_of(b, scope) for b in breaches)
    tickets = Counter(
        (s.queued + scope.offset) // scope.bucket for s in sessions if s.kind == "ticket"
    )

    first_replies: dict[int | None, list[float]] = defaultdict(list)
    handled: Counter[int] = Counter()
    resolve_times: list[float] = []
    for s in sessions:
        if s.reply_seconds is not None:
            first_replies[s.agent_id].append(s.reply_seconds)
        if s.resolve_seconds is not None:
            resolve_times.append(s.resolve_seconds)
        if s.agent_id is not None:
            handled[s.agent_id] += 1
    scores: dict[int, list[int]] = defaultdict(list)
    for score, agent_id in rated:
        if agent_id is not None:
            scores[agent_id].append(score)
    names = analytics.agent_names(db, set(handled) | set(scores))
    all_scores = [score for score, _ in rated]
    return {
        "period": {
            "start": scope.start.isoformat(),
            "end": scope.end.isoformat(),
            "bucket": "hour" if scope.bucket < 86400 else "day",
        },
        "conversations": {
            "total": total,
            "bot_resolved": resolved,
            "bot_resolved_share": resolved / total if total else None,
            "series": [
                {
                    "label": label,
                    "conversations": per_bucket.get(b, (0, 0))[0],
                    "bot_resolved": per_bucket.get(b, (0, 0))[1],
                }
                for b, label in labels
            ],
        },
        "handoffs": {
            "total": len(sessions),
            "by_reason": [
                {"reason": reason, "count": count}
                for reason, count in Counter(s.reason for s in sessions).most_common()
            ],
        },
        "times": {
            "first_reply": _times([v for values in first_replies.values() for v in values]),
            "resolve": _times(resolve_times),
        },
        "tickets": {
            "opened": sum(tickets.values()),
            "breaches": sum(breached.values()),
            "series": [
                {"label": label, "tickets": tickets.get(b, 0), "breaches": breached.get(b, 0)}
                for b, label in labels
            ],
        },
        "csat": {
            "count": len(all_scores),
            "average": statistics.fmean(all_scores) if all_scores else None,
            "distribution": [
                {"score": score, "count": all_scores.count(score)} for score in SCORES
            ],
        },
        "hours": [{"hour": hour, "messages": hours.get(hour, 0)} for hour in range(24)],
        "agents": [
            {
                "agent_id": agent_id,
                "name": names.get(agent_id, f"#{agent_id}"),
                "sessions": handled.get(agent_id, 0),
                "median_first_reply": median(first_replies.get(agent_id, [])),
                "csat_average": statistics.fmean(scores[agent_id]) if scores[agent_id] else None,
                "csat_count": len(scores[agent_id]),
            }
            for agent_id in sorted(names, key=lambda a: (-handled.get(a, 0), names[a]))
        ],
    }


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    text = str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def table(data: dict[str, Any], chart: str) -> tuple[list[str], list[list[Any]]]:
    """*chart*'s header and rows; no rows when the period has nothing for it."""
    if chart == "conversations":
        part = data["conversations"]
        rows = [[r["label"], r["conversations"], r["bot_resolved"]] for r in part["series"]]
        return ["period", "conversations", "bot_resolved"], rows if part["total"] else []
    if chart == "handoffs":
        rows = [[r["reason"], r["count"]] for r in data["handoffs"]["by_reason"]]
        return ["reason", "handoffs"], rows
    if chart == "times":
        rows = [
            [name, t["count"], t["median"], t["p90"]]
            for name, t in data["times"].items()
            if t["count"]
        ]
        return ["measure", "sessions", "median_seconds", "p90_seconds"], rows
    if chart == "tickets":
        part = data["tickets"]
        rows = [[r["label"], r["tickets"], r["breaches"]] for r in part["series"]]
        has = part["opened"] or part["breaches"]
        return ["period", "tickets_opened", "sla_breaches"], rows if has else []
    if chart == "csat":
        rows = [[r["score"], r["count"]] for r in data["csat"]["distribution"]]
        return ["score", "ratings"], rows if data["csat"]["count"] else []
    if chart == "hours":
        rows = [[r["hour"], r["messages"]] for r in data["hours"]]
        return ["hour", "user_messages"], rows if any(r[1] for r in rows) else []
    if chart == "agents":
        rows = [
            [a["name"], a["sessions"], a["median_first_reply"], a["csat_average"], a["csat_count"]]
            for a in data["agents"]
        ]
        return ["agent", "sessions", "median_first_reply_seconds", "csat_average", "ratings"], rows
    raise KeyError(chart)


def to_csv(data: dict[str, Any], chart: str) -> str:
    header, rows = table(data, chart)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return out.getvalue()
