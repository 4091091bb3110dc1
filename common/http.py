"""Small pieces of HTTP every API of the gateway shares."""

from __future__ import annotations

from typing import Any

from pydantic import Field


def bearer(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header ("" if there is none)."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_id_field(description: str) -> Any:
    """A client's own id for what it sends, so that a retry is recognised (optional)."""
    return Field(
        None, min_length=8, max_length=64, regex=r"^[A-Za-z0-9_.:-]+$", description=description
    )
