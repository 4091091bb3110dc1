"""Jobs that must run once across every gateway process, each by its lease (see
:mod:`store.leases`): the SLA sweep, reminders, turn recovery, delivery retries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from common.metrics import JOB_RUNS
from store.leases import ALIVE, acquire, new_holder
from store.models import Lease

log = logging.getLogger(__name__)
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


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
        # When each job's lease, as last seen, lapses: until then nobody can take it
        # (a job's lease is never renewed), so nobody asks the database.
        self._free_at: dict[str, datetime] = {}

    def every(self, name: str, seconds: float, run: Callable[[], Awaitable[object]]) -> None:
        self.jobs[name] = Job(name, seconds, run)

    def due(self, job: Job) -> bool:
        # The lease lasts a little less than the period, so clock skew between hosts
        # can't make two processes both see it free within one period.
        now = self.clock()
        ttl = timedelta(seconds=job.every * 0.95)
        with self.sessions.begin() as db:
            won = acquire(db, job.name, ttl, now, holder=self.holder)
            held = db.get(Lease, job.name) if not won else None
        self._free_at[job.name] = now + ttl if won else held.expires_at if held else now
        return won

    async def run_due(self) -> list[str]:
        """One pass: run every job whose lease this process wins; returns their names."""
        ran = []
        for job in list(self.jobs.values()):
            if self.clock() < self._free_at.get(job.name, _NEVER):
                continue  # held until then, by this process or another
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
