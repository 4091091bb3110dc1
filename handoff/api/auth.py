"""Who is calling the agent API, and the desk's refusals as HTTP answers.

Every endpoint but login needs ``Authorization: Bearer <agent token>``: none or an
unknown one is 401; a token of another kind the gateway issues (a web chat
visitor's) is 403, so a page that calls the wrong API is told so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker

from common.http import bearer
from handoff.desk import Blocked, Desk, Forbidden, Unavailable
from store import Conflict, NotFound, agents
from store.models import ROLES, Agent


class AgentAuth:
    """Resolves a bearer token to an active agent, or refuses with 401/403."""

    def __init__(self, database: sessionmaker[Session], other_token: Callable[[str], bool]) -> None:
        self.database = database
        self.other_token = other_token  # a valid token of another kind (a visitor's)

    def __call__(self, token: str) -> Agent:
        if not token:
            raise HTTPException(401, "log in first: POST /api/agent/login")
        with self.database() as db:
            agent = agents.agent_for_token(db, token)
        if agent is not None:
            return agent
        if self.other_token(token):
            raise HTTPException(403, "this is an agent endpoint; a web chat token can't use it")
        raise HTTPException(401, "the session token is unknown or expired: log in again")


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def auth_of(request: Request) -> AgentAuth:
    auth: AgentAuth = request.app.state.agent_auth
    return auth


def current_agent(request: Request, authorization: str = Header("")) -> Agent:
    return auth_of(request)(bearer(authorization))


def require_role(role: str) -> Callable[..., Agent]:
    """A dependency: the calling agent if their role is *role* or above (agent <
    supervisor < admin), else 403. The role is read with the token on every request,
    so a change takes effect at the agent's next call::

        @api.post("/things")
        def make(admin: Agent = Depends(require_role("admin"))) -> ...
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: one of {ROLES}")
    needed = ROLES.index(role)

    def check(agent: Agent = Depends(current_agent)) -> Agent:
        if agent.role not in ROLES or ROLES.index(agent.role) < needed:
            raise HTTPException(403, f"this needs the {role} role (yours: {agent.role})")
        return agent

    return check


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """The desk's and the store's exceptions as HTTP answers."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except Conflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc
    except (Blocked, Unavailable) as exc:
        raise HTTPException(422, str(exc)) from exc
