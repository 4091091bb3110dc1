"""Leases: a row per job or role that one process at a time may hold.

A job runs when its process wins ``UPDATE handoff_leases … WHERE expires_at <= now``.
On PostgreSQL a concurrent updater waits for the winner's commit, re-checks the
condition and matches nothing; on SQLite writers are serialised. So however many
gateways are up, each period's run happens in exactly one of them, and a process
that dies simply lets its lease expire. A held role (Telegram long polling) is the
same row renewed by its holder.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from store.db import insert_new
from store.models import Lease


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
    # The first run ever (nobody has the row yet), or held by another process.
    new = {"name": name, "holder": holder, "expires_at": now + ttl, "runs": 1}
    return bool(db.execute(insert_new(db, Lease).values(**new)).rowcount == 1)


def release(db: Session, name: str, now: datetime, holder: str = HOLDER) -> None:
    db.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
