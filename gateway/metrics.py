"""``/metrics``: the counters of :mod:`common.metrics` plus the queue, read at scrape time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from store.models import OPEN_STATES, HandoffSession

log = logging.getLogger(__name__)


class QueueCollector(Collector):
    """Queue length by kind and priority, counted in the database (shared by all processes)."""

    def __init__(self) -> None:
        self.database: sessionmaker[Session] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "support_queue_length",
            "Sessions waiting for an agent (queued or reopened), by kind and priority",
            labels=["kind", "priority"],
        )
        rows: list[Any] = []
        if self.database is not None:
            try:
                with self.database() as db:
                    rows = list(
                        db.execute(
                            select(HandoffSession.kind, HandoffSession.priority, func.count())
                            .where(HandoffSession.state.in_(OPEN_STATES))
                            .group_by(HandoffSession.kind, HandoffSession.priority)
                        ).all()
                    )
            except SQLAlchemyError as exc:
                # The counters still matter most when the database is down: a scrape
                # answers without the queue (its absence is what the alert sees).
                log.warning("queue length unavailable for /metrics: %s", type(exc).__name__)
            for kind, priority, count in rows:
                gauge.add_metric([kind, priority], count)
        yield gauge


QUEUE = QueueCollector()
REGISTRY.register(QUEUE)
