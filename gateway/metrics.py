"""``/metrics``: the counters of :mod:`common.metrics` plus the queue, read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from store.models import OPEN_STATES, HandoffSession


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
        if self.database is not None:
            with self.database() as db:
                rows = db.execute(
                    select(HandoffSession.kind, HandoffSession.priority, func.count())
                    .where(HandoffSession.state.in_(OPEN_STATES))
                    .group_by(HandoffSession.kind, HandoffSession.priority)
                ).all()
            for kind, priority, count in rows:
                gauge.add_metric([kind, priority], count)
        yield gauge


QUEUE = QueueCollector()
REGISTRY.register(QUEUE)
