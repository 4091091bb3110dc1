"""Agent login under attack: backoff per account and per address, a small pool for
password checks, and an audit trail of failures.

- **Backoff.** After a few free failures, each further one locks the account (and,
  with a higher allowance for shared office addresses, the client's address) for
  twice as long as the last: 1 s, 2 s, 4 s … 15 min. The counters are the rate
  limiter's, so every gateway sees the same lock. A locked login is refused with
  429 and ``Retry-After`` before any password is checked.
- **A bounded pool.** Each argon2 check takes 64 MiB: at most ``DESK_LOGIN_WORKERS``
  run at once, ``DESK_LOGIN_QUEUE`` more wait, and the rest get 503 at once, so a
  flood can neither exhaust memory nor the threads the synchronous endpoints use.
- **Audit.** Each failed check is a ``handoff_audit`` row (``login_failed``) and a log
  line: the email tried and the address, never the password.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from common.bounded import BoundedPool, PoolFull
from common.limits import REFUSED, Backoff, Limiter
from store import agents
from store.models import Audit

log = logging.getLogger(__name__)

ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20  # an office or a carrier's NAT: many agents, one address


class LoginRefused(Exception):
    """Locked by backoff (429) or the pool is full (503); retry after *seconds*."""

    def __init__(self, status: int, seconds: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.seconds = seconds


@dataclass(frozen=True)
class LoggedIn:
    token: str


class LoginGuard:
    def __init__(
        self, database: sessionmaker[Session], limiter: Limiter, workers: int, queue: int
    ) -> None:
        self.database = database
        self.accounts = Backoff(limiter, "login-account", ACCOUNT_FREE_FAILURES)
        self.addresses = Backoff(limiter, "login-address", ADDRESS_FREE_FAILURES)
        self.pool = BoundedPool(workers, queue, "password-check")

    async def log_in(self, email: str, password: str, address: str) -> LoggedIn | None:
        """A token, None for a wrong email or password, or :class:`LoginRefused`."""
        account = email.strip().lower()[:254]
        wait = await asyncio.to_thread(self._wait, account, address)
        if wait:
            REFUSED.labels("login-backoff").inc()
            log.warning("login refused (backoff, %d s): %r from %s", wait, account, address)
            raise LoginRefused(429, wait, f"too many failed logins: try again in {wait} seconds")
        try:
            token = await self.pool.run(lambda: self._check(account, password))
        except PoolFull:
            REFUSED.labels("login-pool").inc()
            raise LoginRefused(503, 1, "the server is busy checking logins: retry") from None
        if token is None:
            await asyncio.to_thread(self._failed, account, address)
            return None
        await asyncio.to_thread(self.accounts.succeeded, account)
        return LoggedIn(token)

    def _wait(self, account: str, address: str) -> int:
        return max(self.accounts.wait(account), self.addresses.wait(address))

    def _failed(self, account: str, address: str) -> None:
        self.accounts.failed(account)
        self.addresses.failed(address)
        log.warning("failed agent login: %r from %s", account, address)
        with self.database.begin() as db:
            db.add(Audit(action="login_failed", detail=f"{account} from {address}"))

    def _check(self, email: str, password: str) -> str | None:
        with self.database.begin() as db:
            return agents.log_in(db, email, password)

    def close(self) -> None:
        self.pool.close()
