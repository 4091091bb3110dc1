"""Jobs that must run once across every gateway process: a lease row per job.

A job runs when its process wins ``UPDATE handoff_leases … WHERE expires_at <= now``.
On PostgreSQL a concurrent updater waits for the winner's commit, re-checks the
condition and matches nothing; on SQLite writers are serialised. So however many
gateways are up, each period's run happens in exactly one of them, and a process
that dies simply lets its lease expire. A held role (Telegram long polling) is the
same row renewed by its holder.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from common.metrics import JOB_RUNS
from handoff.models import Lease, utcnow

log = logging.getLogger(__name__)


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


HOLDER = new_holder()
ALIVE = "alive:"  # + holder: the lease a running process renews (see Scheduler.keep_alive)


def acquire(
    db: Session, name: str, ttl: timedelta, now: datetime, holder: str = HOLDER, renew: bool = False
) -> bool:
    """Take lease *name* until ``now + ttl`` if it has expired (or is ours, with *renew*)."""
    free = Lease.expires_at <= now
    condition = or_(free, Lease.holder == holder) if renew else free
    statement = (
        update(Lease)
        .where(Lease.name == name, condition)
        .values(holder=holder, expires_at=now + ttl, runs=Lease.runs + 1)
        .execution_options(synchronize_session=False)
    )
    if db.execute(statement).rowcount == 1:
        return True
    try:  # the first run ever: nobody has the row yet
        with db.begin_nested():
            db.add(Lease(name=name, holder=holder, expires_at=now + ttl, runs=1))
            db.flush()
    except IntegrityError:
        return False
    return True


def release(db: Session, name: str, now: datetime, holder: str = HOLDER) -> None:
    db.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


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
