"""Jobs that must run once across every gateway process, each by its lease (see
:mod:`store.leases`): the SLA sweep, reminders, turn recovery, delivery retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from common.metrics import JOB_RUNS
from store.leases import ALIVE, acquire, new_holder

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float  # seconds between runs, across all processes
    run: Callable[[], Awaitable[object]]


class Scheduler:
    """Runs each job once per period in whichever process takes the lease first."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        tick: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.tick = tick
        self.jobs: dict[str, Job] = {}
        self.holder = new_holder()  # this process (or app) in the lease table

    def every(self, name: str, seconds: float, run: Callable[[], Awaitable[object]]) -> None:
        self.jobs[name] = Job(name, seconds, run)

    def due(self, job: Job) -> bool:
        # The lease lasts a little less than the period, so clock skew between hosts
        # can't make two processes both see it free within one period.
        with self.sessions.begin() as db:
            ttl = timedelta(seconds=job.every * 0.95)
            return acquire(db, job.name, ttl, self.clock(), holder=self.holder)

    async def run_due(self) -> list[str]:
        """One pass: run every job whose lease this process wins; returns their names."""
        ran = []
        for job in list(self.jobs.values()):
            try:
                won = await asyncio.to_thread(self.due, job)
            except Exception:
                log.exception("could not check job %s (database down?)", job.name)
                continue
            if not won:
                continue
            ran.append(job.name)
            try:
                await job.run()
                JOB_RUNS.labels(job.name, "ok").inc()
            except Exception:
                JOB_RUNS.labels(job.name, "failed").inc()
                log.exception("job %s failed; the next period retries it", job.name)
        return ran

    async def forever(self) -> None:
        while True:
            await self.run_due()
            await asyncio.sleep(self.tick)

    def announce(self, seconds: float) -> None:
        """Take or renew this process's liveness lease for *seconds*."""
        with self.sessions.begin() as db:
            ttl = timedelta(seconds=seconds)
            acquire(db, ALIVE + self.holder, ttl, self.clock(), holder=self.holder, renew=True)

    async def keep_alive(self, seconds: float) -> None:
        """Renew the liveness lease; others treat this process as dead once it lapses."""
        while True:
            try:
                await asyncio.to_thread(self.announce, seconds)
            except Exception:
                log.exception("could not renew this process's liveness lease")
            await asyncio.sleep(seconds / 4)
