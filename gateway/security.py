"""What every response and process of the gateway gets for safety, in one place:
masked logs, security headers on every page and API answer, the API docs only when
enabled, media links, the console's session re-check, and the media retention job.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common import logs
from common.clock import utcnow
from common.settings import DeskSettings
from handoff import media
from handoff.api.media import MediaLinks
from store.jobs import Scheduler

# Pages are same-origin ES modules and stylesheets; nothing inline, no frames.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# /docs loads Swagger UI from a CDN with an inline script: its own, looser policy.
DOCS_CSP = "default-src 'self' https://cdn.jsdelivr.net 'unsafe-inline'; frame-ancestors 'none'"
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def docs_urls(settings: DeskSettings) -> dict[str, Any]:
    """FastAPI's keyword arguments: the interactive docs only when ``DESK_API_DOCS``."""
    if settings.api_docs:
        return {}
    return {"docs_url": None, "redoc_url": None, "openapi_url": None}


class SecurityHeaders:
    """Adds the headers to every HTTP response that hasn't set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc", "/docs/oauth2-redirect")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = {**HEADERS, "content-security-policy": DOCS_CSP if docs else CSP}
                for name, value in wanted.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_security(app: Any, settings: DeskSettings, secret: bytes, jobs: Scheduler) -> None:
    """Wire the controls above into the app *create_app* is building."""
    logs.install([settings.secret, secret.decode(errors="replace")])  # var/'s one too
    app.add_middleware(SecurityHeaders)
    app.state.media_links = MediaLinks(secret)
    app.state.heartbeat_seconds = settings.heartbeat_seconds
    database = app.state.desk.database

    async def purge_media() -> int:
        before = utcnow() - timedelta(days=settings.media_retention_days)
        return await asyncio.to_thread(media.purge, database, before)

    jobs.every("media_retention", 3600, purge_media)
