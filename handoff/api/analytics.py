"""Analytics for supervisors: the page's figures as JSON, and each chart as CSV.
See docs/desk-api.md, "Analytics"."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from handoff import analytics
from handoff.api.auth import desk_of
from handoff.api.supervision import supervisor
from store.analytics import Scope
from store.models import Agent

api = APIRouter(prefix="/analytics")

# The one place the page's access is decided: supervisors and admins (require_role).
allowed = supervisor


def chosen_period(
    request: Request, period: str, start: date | None, end: date | None, tz: str | None
) -> analytics.Period:
    """The period a page asked for, in *tz* (the desk's zone by default); 422 if bad.
    The Gaps page reads its periods the same way."""
    desk = desk_of(request)
    try:
        zone = ZoneInfo(tz or desk.settings.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise HTTPException(422, f"unknown time zone {tz!r}") from exc
    try:
        return analytics.period(period, zone, desk.clock(), start, end)
    except analytics.PeriodError as exc:
        raise HTTPException(422, str(exc)) from exc


def _scope(
    request: Request,
    period: str,
    start: date | None,
    end: date | None,
    channel: str | None,
    language: str | None,
    tz: str | None,
) -> Scope:
    return chosen_period(request, period, start, end, tz).scope(channel, language)


def _figures(
    request: Request,
    _: Agent = Depends(allowed),  # before the query runs
    period: str = Query("7d", description="today, 7d, 30d or custom"),
    start: date | None = Query(None, description="custom: the first day (YYYY-MM-DD)"),
    end: date | None = Query(None, description="custom: the last day, included"),
    channel: str | None = Query(None, max_length=30),
    language: str | None = Query(None, max_length=5),
    tz: str | None = Query(None, max_length=64, description="IANA zone; the desk's by default"),
) -> dict[str, Any]:
    scope = _scope(request, period, start, end, channel, language, tz)
    with desk_of(request).database() as db:
        return analytics.report(db, scope)


@api.get("")
def figures(data: dict[str, Any] = Depends(_figures)) -> dict[str, Any]:
    """Every chart of the Analytics page for the period, channel and language."""
    return data


@api.get("/{chart}.csv", response_class=Response)
def export(chart: str, data: dict[str, Any] = Depends(_figures)) -> Response:
    """One chart as CSV (a header-only file when the period has no data for it)."""
    if chart not in analytics.CHARTS:
        raise HTTPException(404, f"no chart {chart!r}; one of {', '.join(analytics.CHARTS)}")
    return Response(
        analytics.to_csv(data, chart),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{chart}.csv"'},
    )
