"""Content gaps for supervisors and admins (``/gaps``): the period's groups, a group's
messages, adding a message to an article as an example question, dismissing a group.
See docs/desk-api.md, "Content gaps"."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from handoff.api.analytics import chosen_period
from handoff.api.knowledge import refusals
from handoff.api.supervision import supervisor
from handoff.gaps import Gaps
from store.models import Agent

api = APIRouter(prefix="/gaps")


def gaps_of(request: Request) -> Gaps:
    gaps: Gaps = request.app.state.gaps
    return gaps


class ExampleIn(BaseModel):
    gap_id: int = Field(..., description="a message of the group (its id in the group)")
    article_id: str = Field(..., min_length=1, max_length=100)


@api.get("", responses={403: {}, 422: {}})
def groups(
    request: Request,
    _: Agent = Depends(supervisor),  # before any grouping runs
    period: str = Query("7d", description="today, 7d, 30d or custom"),
    start: date | None = Query(None, description="custom: the first day (YYYY-MM-DD)"),
    end: date | None = Query(None, description="custom: the last day, included"),
    tz: str | None = Query(None, max_length=64, description="IANA zone; the desk's by default"),
) -> Any:
    """The period's gaps grouped by meaning, the biggest group first."""
    chosen = chosen_period(request, period, start, end, tz)
    report = gaps_of(request).report(chosen.start, chosen.end)
    return {"period": {"start": chosen.start.isoformat(), "end": chosen.end.isoformat()}} | report


@api.get("/groups/{group_id}", responses={403: {}, 404: {}})
def group(group_id: int, request: Request, _: Agent = Depends(supervisor)) -> Any:
    """A group with its messages (up to 200)."""
    with refusals():
        return gaps_of(request).detail(group_id)


@api.post("/groups/{group_id}/examples", responses={403: {}, 404: {}, 409: {}, 422: {}})
def add_example(
    group_id: int, body: ExampleIn, request: Request, editor: Agent = Depends(supervisor)
) -> Any:
    """The message becomes an example question of the article (a draft: Publish on
    the Knowledge page makes it live). Refused as an article save is (422 naming
    the field, e.g. a question another article has)."""
    with refusals():
        return gaps_of(request).add_example(
            group_id, body.gap_id, body.article_id.strip(), editor.display_name
        )


@api.post("/groups/{group_id}/dismiss", responses={403: {}, 404: {}})
def dismiss(group_id: int, request: Request, editor: Agent = Depends(supervisor)) -> Any:
    """The group is handled: its messages never show again (new ones group afresh)."""
    with refusals():
        return gaps_of(request).dismiss(group_id, editor.display_name, editor.id)
