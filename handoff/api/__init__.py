"""The agent API (``/api/agent``): accounts, the queue and sessions, the live stream.

The gateway mounts :data:`api` and puts the :class:`AgentAuth` it configured on
``app.state.agent_auth``. See docs/desk-api.md.
"""

from fastapi import APIRouter

from handoff.api import (
    accounts,
    admin,
    analytics,
    assist,
    callbacks,
    canned,
    casefile,
    gaps,
    knowledge,
    live,
    media,
    passwords,
    privacy,
    routing,
    search,
    sessions,
    supervision,
)
from handoff.api.auth import AgentAuth
from handoff.api.logins import LoginGuard

api = APIRouter(prefix="/api/agent", tags=["agent desk"])
api.include_router(accounts.api)
api.include_router(sessions.api)
api.include_router(casefile.api)
api.include_router(live.api)
api.include_router(media.api)
api.include_router(supervision.api)
api.include_router(search.api)
api.include_router(routing.api)
api.include_router(canned.api)
api.include_router(assist.api)
api.include_router(admin.api)
api.include_router(privacy.api)
api.include_router(passwords.api)
api.include_router(analytics.api)
api.include_router(knowledge.api)
api.include_router(gaps.api)
api.include_router(callbacks.api)

__all__ = ["AgentAuth", "LoginGuard", "api"]
