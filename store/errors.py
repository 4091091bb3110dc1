"""What a store refuses, as exceptions the APIs turn into HTTP answers."""

from __future__ import annotations


class NotFound(LookupError):
    """No such session or agent (HTTP 404)."""


class Conflict(RuntimeError):
    """The session is not in a state that allows this (HTTP 409)."""
