"""Admins' data-rights endpoints: export or erase everything about one end user.

The user id goes in the body, not the URL, so access logs don't collect it."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from handoff.api.auth import require_role
from handoff.privacy import Privacy
from store.models import Agent

api = APIRouter(prefix="/admin/privacy")


class UserIn(BaseModel):
    user: str = Field(
        ...,
        min_length=1,
        max_length=200,
        description="a conversation id (telegram:12345) or a platform user id (every channel)",
    )


def _privacy(request: Request) -> Privacy:
    privacy: Privacy = request.app.state.parts.privacy
    return privacy


@api.post("/export")
async def export(
    body: UserIn, request: Request, admin: Agent = Depends(require_role("admin"))
) -> dict[str, Any]:
    """Everything stored about the user, as JSON (files in base64); audited."""
    return await asyncio.to_thread(_privacy(request).export, body.user.strip(), admin.id)


@api.post("/erase")
async def erase(
    body: UserIn, request: Request, admin: Agent = Depends(require_role("admin"))
) -> dict[str, Any]:
    """Delete everything about the user, Rasa's tracker included; what went (audited)."""
    return await asyncio.to_thread(_privacy(request).erase, body.user.strip(), admin.id)
