"""The gateway's parts, wired once: the guard, the inbox and outbox, the desk and its
jobs, and the router over them. :func:`gateway.app.create_app` puts them behind HTTP;
tests build them without it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlparse

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from common.limits import Limiter, rules
from common.settings import DeskSettings, ServiceSettings
from events import EventHub
from gateway.answers import Answers
from gateway.fragments import RedisCounts
from gateway.rasa import RasaClient
from gateway.router import Router
from guard import Guard
from handoff import Desk, Inbox, Outbox, Ratings, SlaWatch
from handoff.privacy import Privacy
from handoff.relay import RELAY_SECONDS, EventRelay
from handoff.routing import AutoAssign
from store.jobs import Scheduler
from store.trackers import Trackers, tracker_url


@dataclass
class Parts:
    guard: Guard
    inbox: Inbox
    outbox: Outbox
    desk: Desk
    ratings: Ratings
    sla: SlaWatch
    router: Router
    jobs: Scheduler
    privacy: Privacy
    relay: EventRelay


def assemble(
    database: sessionmaker[Session],
    hub: EventHub,
    settings: DeskSettings,
    service: ServiceSettings,
    rasa: RasaClient,
    limiter: Limiter | None = None,
) -> Parts:
    """Every part over one database and event hub; the periodic jobs registered.

    *limiter* counts new handoffs per client address (in memory when not given)."""
    jobs = Scheduler(database)
    # Pieces of a phrase may land on different gateways: count them where all see them.
    counts = RedisCounts(settings.redis_url) if settings.redis_url else None
    guard = Guard(trusted_domains(service), counts)
    # The events this process writes carry its liveness lease too: a survivor
    # publishes those it committed but did not live to publish.
    relay = EventRelay(database, hub, jobs.holder)
    inbox = Inbox(database, hub, settings, guard, relay=relay)
    inbox.holder = jobs.holder  # the turns this process handles carry its liveness lease
    outbox = Outbox(database, hub, settings, relay=relay)
    inbox.echo_event = outbox.echo_event
    outbox.holder = jobs.holder  # the replies it stores "sending" carry its liveness lease
    desk = Desk(database, hub, outbox, settings, service, guard)
    ratings = Ratings(database, hub, outbox)
    sla = SlaWatch(desk)
    answers = Answers(inbox, outbox, desk, rasa, service)
    answers.limit_handoffs(limiter or Limiter(), rules(settings.limit_handoffs_per_ip))
    outbox.on_dead = answers.delivery_failed
    router = Router(inbox, outbox, ratings, answers, guard, rasa, settings)
    jobs.every("sla", settings.sweep_seconds, sla.sweep)
    jobs.every("ticket_reminders", 60, sla.remind)
    jobs.every("unfinished_turns", settings.recovery_seconds, router.recover)
    jobs.every("delivery_retries", settings.delivery_retry_seconds, outbox.retry_failed)
    jobs.every("event_relay", RELAY_SECONDS, relay.relay_orphans)
    jobs.every("event_prune", 600, relay.prune)
    desk.auto_assign = routing = AutoAssign(desk)
    jobs.every("auto_assign", settings.routing_seconds, routing)
    privacy = Privacy(
        database, Trackers(tracker_url(_url(database))), hub, settings.media_max_bytes
    )
    if settings.retention_days is not None:
        days = settings.retention_days

        async def retention() -> int:
            return await asyncio.to_thread(privacy.purge, utcnow() - timedelta(days=days))

        jobs.every("retention", 3600, retention)
    return Parts(guard, inbox, outbox, desk, ratings, sla, router, jobs, privacy, relay)


def _url(database: sessionmaker[Session]) -> str:
    """The desk database's URL, password included (Rasa's tracker may share it)."""
    return str(database.kw["bind"].url.render_as_string(hide_password=False))


def trusted_domains(service: ServiceSettings) -> tuple[str, ...]:
    """Official domains, plus the block explorers the bot itself links to."""
    explorers = (urlparse(url).hostname or "" for url in service.explorer_tx_urls.values())
    return (*service.domain_list, *(h for h in explorers if h))
