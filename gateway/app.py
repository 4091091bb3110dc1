"""Compose the gateway: the channels, the router, the desk, the agent API and console,
metrics, and the periodic jobs.

Any number of gateway processes may run over one PostgreSQL database: state lives
there, events cross between processes over Redis (``REDIS_URL``), and each periodic
job runs once per period in whichever process takes its lease (``store.jobs``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from common.clock import utcnow
from common.limits import Limiter
from common.settings import DeskSettings, desk_settings, kb_settings, service_settings
from connectors import ChannelHost, Runner, webchat
from events import EventHub, RedisFanout
from gateway.assembly import assemble
from gateway.edge import protect
from gateway.metrics import QUEUE
from gateway.rasa import RasaClient
from gateway.security import docs_urls, install_security
from handoff import console
from handoff.api import AgentAuth, LoginGuard
from handoff.api import api as agent_api
from handoff.assist import Assist
from handoff.gaps import Gaps
from handoff.knowledge import Knowledge
from store import make_engine, migrate, read_sessions, session_factory
from store.leases import ALIVE, release

log = logging.getLogger(__name__)

# A platform channel: ``mount(app, host)`` registers its connector and routes, and
# may return a loop to run for the app's lifetime. Unconfigured, it mounts nothing.
Channel = Callable[[FastAPI, ChannelHost], "Runner | None"]
# How often content gaps without an embedding get one (handoff.gaps.Gaps.embed_pending).
GAPS_VECTOR_SECONDS = 10


def create_app(
    settings: DeskSettings | None = None,
    database_url: str | None = None,
    rasa: RasaClient | None = None,
    actions_url: str | None = None,
    channels: list[Channel] | None = None,
) -> FastAPI:
    """The gateway. *channels* mount platform connectors (default: those configured)."""
    settings = settings or desk_settings()
    service = service_settings()
    engine = make_engine(database_url)
    database = session_factory(engine)
    hub = EventHub()
    rasa = rasa or RasaClient(
        settings.rasa_urls,
        timeout=settings.rasa_timeout_seconds,
        actions_url=actions_url,
        lock_seconds=settings.ticket_lock_lifetime,
    )
    # Checked first: a short or empty secret stops the gateway before anything starts.
    tokens = webchat.visitor_tokens(settings)
    limiter = Limiter(settings.redis_url)  # shared by every gateway when Redis is set
    parts = assemble(database, hub, settings, service, rasa, limiter)
    logins = LoginGuard(database, limiter, settings.login_workers, settings.login_queue)
    jobs = parts.jobs
    if settings.redis_url and not settings.secret:
        log.warning(
            "REDIS_URL is set but DESK_SECRET is not: gateways on other hosts generate "
            "their own secret, and their events (signed with it) will not cross"
        )
    secret = tokens.secrets[0]
    # Events cross Redis signed with the desk secret, which Redis never holds.
    keys = list(tokens.secrets)
    fanout = RedisFanout(hub, settings.redis_url, keys) if settings.redis_url else None
    knowledge = Knowledge(database, kb_settings(), service)  # the console's Knowledge page

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)  # under an advisory lock on PostgreSQL: safe with several processes
        knowledge.seed()  # an empty database gets the repository's articles
        QUEUE.database = database
        jobs.announce(settings.alive_seconds)  # alive before the first turn is taken
        tasks = [
            asyncio.ensure_future(_forever(jobs.forever)),
            asyncio.ensure_future(_forever(lambda: jobs.keep_alive(settings.alive_seconds))),
        ]
        tasks.append(asyncio.ensure_future(_forever(parts.relay.flush_forever)))
        if fanout is not None:
            tasks.append(asyncio.ensure_future(_forever(fanout.run)))
        tasks += [asyncio.ensure_future(_forever(run)) for run in runners]
        try:
            yield
        finally:
            # Say so first: a library may swallow one cancellation (PTB turns it into a
            # NetworkError mid-request), and a loop that checks the flag still stops.
            app.state.stopping = True
            await parts.router.background.drain(10)  # turns accepted before the 200 (Telegram)
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks, timeout=10)
            with contextlib.suppress(Exception):
                parts.relay.flush()  # what was published is marked, not published again
            with contextlib.suppress(Exception), database.begin() as db:
                # Turns cut short by the shutdown are taken over at once, not in 20 s.
                release(db, ALIVE + jobs.holder, utcnow(), holder=jobs.holder)
            await rasa.close()
            logins.close()
            engine.dispose()

    app = FastAPI(
        title="Wallet support gateway",
        version="0.1.0",
        description="Web chat, the human desk and metrics. See docs/desk-api.md.",
        lifespan=lifespan,
        **docs_urls(settings),
    )
    protect(app, settings.trusted_proxies, max_upload=settings.media_max_bytes)
    app.state.parts = parts
    app.state.desk = parts.desk  # the agent API's
    # Reads the index on first use; says what the desk would refuse, as the desk checks it.
    app.state.assist = Assist(kb_settings(), service, parts.guard, parts.desk.check_reply)
    app.state.knowledge = knowledge
    app.state.gaps = gaps = Gaps(database, knowledge, parts.desk.clock)  # the Gaps page
    jobs.every("gaps_vectors", GAPS_VECTOR_SECONDS, lambda: asyncio.to_thread(gaps.embed_pending))
    app.state.fanout = fanout
    app.state.stopping = False
    # The token check of every console request reads without queueing for SQLite's write lock.
    known = read_sessions(engine)
    app.state.agent_auth = AgentAuth(known, lambda token: tokens.verify(token) is not None)
    app.state.logins = logins
    app.exception_handler(RequestValidationError)(_bad_request)
    install_security(app, settings, secret, jobs)

    host = ChannelHost(
        parts.router, database, hub, jobs, parts.outbox.connectors, lambda: app.state.stopping
    )
    webchat.mount(app, host, tokens, limiter, settings)
    app.include_router(agent_api)
    runners = [
        run
        for mount in (default_channels() if channels is None else channels)
        if (run := mount(app, host)) is not None
    ]
    app.mount("/console", StaticFiles(directory=console.STATIC, html=True), name="console")
    _operations(app, database, fanout)
    return app


def _operations(app: FastAPI, database: Any, fanout: RedisFanout | None) -> None:
    """The home redirect, the favicon, Prometheus metrics and the load balancer's health check."""

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/chat/")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # Browsers ask every page's origin for it; a 404 fills the access log and console.
        icon = console.STATIC / "favicon.ico"
        return FileResponse(
            icon, media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"}
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["operations"])
    def health() -> dict[str, Any]:
        """For load balancers: 200 while the database answers. ``fanout`` is ``"off"``
        (one process), ``"ok"`` or ``"down"`` (Redis lost: consoles on other
        processes see this one's events only after it returns)."""
        with database() as db:
            db.execute(text("SELECT 1"))
        state = "off" if fanout is None else "ok" if fanout.ready.is_set() else "down"
        return {"status": "ok", "fanout": state}


def default_channels() -> list[Channel]:
    """The platform connectors; each mounts only when its settings are present."""
    from connectors import email, telegram, wechat

    return [telegram.mount, wechat.mount, email.mount]


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(parts)


async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    if any(
        e.get("type") in ("json_invalid", "value_error.jsondecode")
        or e.get("msg") == "JSON decode error"
        for e in exc.errors()
    ):
        return JSONResponse({"detail": f"malformed JSON: {_readable(exc)}"}, status_code=400)
    return JSONResponse({"detail": _readable(exc)}, status_code=422)


async def _forever(run: Callable[[], Awaitable[None]]) -> None:
    """Run a channel's background loop; restart it after a crash instead of going deaf."""
    while True:  # cancelled by the lifespan
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a channel's background loop crashed; restarting in 5 s")
            await asyncio.sleep(5)
