"""What the desk refuses, and the HTTP status the agent API answers with."""

from __future__ import annotations


class Forbidden(PermissionError):
    """The agent may not do this to this session (HTTP 403)."""


class Blocked(ValueError):
    """The guard stopped an agent's message (HTTP 422); the attempt is audited."""


class Unavailable(ValueError):
    """The agent chosen can't take a session: disabled (HTTP 422)."""
