"""PostgreSQL and Redis on this host: are they up, and a fresh database or schema each.

A test that needs one and finds it down is skipped, saying so; with
``REQUIRE_SERVICES`` set (``.ci/run`` sets it) it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from typing import NoReturn

import sqlalchemy

PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/3"  # the multi-process tests' Redis database
# Every simulated user and page shares 127.0.0.1: per-address limits would count them
# as one client. Per-visitor limits, the body limit and login backoff stay as shipped.
LOOPBACK_LIMITS = {
    "DESK_LIMIT_VISITORS_PER_IP": "1000000/minute",
    "DESK_LIMIT_MESSAGES_PER_IP": "1000000/minute",
    "DESK_LIMIT_HANDOFFS_PER_IP": "1000000/hour",
}


def service_missing(reason: str) -> NoReturn:
    """Skip a test whose PostgreSQL or Redis is down, saying so; in CI, fail it."""
    import pytest

    if os.environ.get("REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (REQUIRE_SERVICES is set: CI must exercise it)")
    pytest.skip(reason)


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def need_postgres() -> None:
    if not reachable(5432):
        service_missing("PostgreSQL is not reachable on 127.0.0.1:5432")


def services_up() -> str | None:
    """None if PostgreSQL and Redis answer, else what is missing."""
    import redis

    try:
        engine = sqlalchemy.create_engine(PG_URL, future=True)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL is not reachable on 127.0.0.1:5432 ({type(exc).__name__})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis is not reachable on 127.0.0.1:6379 ({type(exc).__name__})"
    return None


def need(service: str) -> None:
    """Skip (or, in CI, fail) unless *service* ("PostgreSQL" or "Redis") answers."""
    missing = services_up()
    if missing and service in missing:
        service_missing(missing)


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards (for Rasa's tables and the desk's)."""
    name = f"scale_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


@contextlib.contextmanager
def fresh_schema(prefix: str = "t") -> Iterator[str]:
    """A schema of its own in the test database (another run on the same server can't
    interfere); yields a URL that uses it, and drops it afterwards."""
    need_postgres()
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(PG_URL, future=True)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        admin.dispose()
