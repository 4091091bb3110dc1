"""The per-message cost of the event outbox (docs/benchmarks.md): the gateway's web chat
turn with the outbox and without it, side by side in one run, in the production profile
(PostgreSQL and Redis). Rasa is a fake that answers at once, so what is timed is the
gateway's own work; each turn writes two outbox rows (the echo to the user's other
tabs and the reply's push). Prints Markdown.

    .venv/bin/python scripts/bench_outbox.py [--turns 300]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.orm import Session

from handoff.relay import EventRelay, Recorded
from scripts.bench_gateway import QUESTIONS, pct
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, Gateway
from tests.support.services import REDIS_URL, fresh_schema


class NoOutbox(EventRelay):
    """The events as before the outbox: published after the commit, no row written."""

    def record(self, db: Session, topic: str, event: dict[str, Any]) -> Recorded:
        return Recorded(topic, event)  # no row, so published without an id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    unlimited = "1000000/minute"  # every client is 127.0.0.1 here
    settings = ALWAYS.copy(
        update={
            "redis_url": REDIS_URL,
            "limit_visitors_per_ip": unlimited,
            "limit_messages_per_ip": unlimited,
            "limit_messages_per_visitor": unlimited,
        }
    )
    took: dict[str, list[float]] = {"with the outbox": [], "without (events as before)": []}
    with contextlib.ExitStack() as stack:
        gateways = {}
        for name in took:
            gateway = Gateway(stack.enter_context(fresh_schema("bench")), FakeRasa(), settings)
            stack.enter_context(gateway.client)
            if name.startswith("without"):
                parts = gateway.parts
                parts.inbox.relay = parts.outbox.relay = NoOutbox(
                    parts.inbox.database, parts.relay.hub
                )
            gateways[name] = (gateway, [gateway.visitor("en") for _ in range(7)])
        names = list(took)
        for i in range(args.turns + 10):
            language, question = QUESTIONS[i % len(QUESTIONS)]
            for name in names[i % 2 :] + names[: i % 2]:  # who goes first alternates
                gateway, visitors = gateways[name]
                started = time.perf_counter()
                response = gateway.say(visitors[i % 7], question, language=language)
                assert response.status_code == 200, response.text
                if i >= 10:  # the first turns warm caches
                    took[name].append((time.perf_counter() - started) * 1000)
    print(f"Measured at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"with `scripts/bench_outbox.py --turns {args.turns}`.\n")
    print("| gateway turn (Rasa faked) | p50 ms | p95 ms |\n|---|---|---|")
    for name, values in took.items():
        print(f"| {name} | {statistics.median(values):.2f} | {pct(values, 0.95):.2f} |")
    with_, without = (statistics.median(v) for v in took.values())
    print(f"\nThe outbox's cost per turn, medians: **{with_ - without:+.2f} ms**")


if __name__ == "__main__":
    main()
