"""Email intake and reply latency (issue 19). Prints Markdown.

A real mailbox (Debian's Dovecot, started here) and a local SMTP server; the gateway
in-process (Rasa faked, SQLite or PostgreSQL). *Intake*: ``--emails`` emails from
different senders are put in the mailbox at once, and the clock runs until every one
has its ticket reply in the SMTP server: emails/s from IMAP to a stored ticket and its
answer. *Reply*: an agent answers ``--rounds`` tickets, one at a time; latency = from
the agent's POST to the email arriving in the SMTP server (median and max).

    .venv/bin/python scripts/bench_email.py [--emails 50] [--rounds 10] [--database sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.mail import dovecot, smtp_server
from tests.support.services import fresh_schema
from tests.support.waiting import wait_until
from tests.test_email_mailbox import Desk, mail


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.database == "sqlite":
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{folder}/desk.db"
        else:
            url = stack.enter_context(fresh_schema())
        imap = stack.enter_context(dovecot())
        port, outgoing = stack.enter_context(smtp_server())
        desk = Desk(url, imap, port, outgoing)
        stack.enter_context(desk.gateway.client)
        raws = [
            mail(f"b{i}@example.com", f"Question {i}", sender=f"u{i}@example.com")
            for i in range(args.emails)
        ]
        started = time.perf_counter()
        for raw in raws:
            imap.deliver(raw)
        wait_until(lambda: len(outgoing.messages) >= args.emails, 600, "intake stalled")
        intake = time.perf_counter() - started
        agent = desk.gateway.agent("dana@wallet.test")
        sessions = desk.gateway.queue(agent)[: args.rounds]
        latencies = []
        for session in sessions:
            before = len(outgoing.messages)
            desk.gateway.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=agent)
            sent = time.perf_counter()
            desk.gateway.client.post(
                f"/api/agent/sessions/{session['id']}/messages",
                json={"text": "Here is what happened."},
                headers=agent,
            )
            wait_until(lambda n=before: len(outgoing.messages) > n, 60, "reply never arrived")
            latencies.append((time.perf_counter() - sent) * 1000)
        print("| database | emails | intake s | emails/s | reply p50 ms | reply max ms |")
        print("|---|---|---|---|---|---|")
        print(
            f"| {args.database} | {args.emails} | {intake:.1f} | {args.emails / intake:.1f} "
            f"| {statistics.median(latencies):.0f} | {max(latencies):.0f} |"
        )


if __name__ == "__main__":
    main()
