"""Small pieces of HTTP every API of the gateway shares."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from pydantic import Field

from common import texts
from common.language import DEFAULT_LANGUAGE, Language, normalise_language
from common.limits import Refusal


def bearer(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header ("" if there is none)."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_id_field(description: str) -> Any:
    """A client's own id for what it sends, so that a retry is recognised (optional)."""
    return Field(
        None, min_length=8, max_length=64, regex=r"^[A-Za-z0-9_.:-]+$", description=description
    )


def language_of(accept_language: str, hint: str | None = None) -> Language:
    """The user's language for an error: *hint* (the page's), else ``Accept-Language``."""
    for value in (hint, *(part.split(";")[0] for part in accept_language.split(","))):
        language = normalise_language(value)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


def too_many(refusal: Refusal, language: str) -> HTTPException:
    """429 with ``Retry-After`` and a sentence in the user's language."""
    return HTTPException(
        429,
        texts.text(language, "rate_limited", seconds=refusal.retry_after),
        headers={"Retry-After": str(refusal.retry_after)},
    )
