"""Prometheus metrics of the gateway (served at ``/metrics``).

Labels are fixed vocabularies (channel, direction, outcome, reason); never user text.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES = Counter(
    "support_messages_total", "Messages in and out, per channel", ["channel", "direction"]
)
BOT_TURNS = Counter(
    "support_bot_turns_total",
    "Bot turns by outcome: answer, clarify (did you mean), miss (no article), out_of_scope, "
    "handoff, fallback (an action failed) or unavailable",
    ["outcome"],
)
HANDOFFS = Counter(
    "support_handoffs_total", "Sessions opened, by reason and kind", ["reason", "kind"]
)
CLAIM_SECONDS = Histogram(
    "support_handoff_claim_seconds",
    "Time from handoff to an agent's claim",
    buckets=(5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 48 * 3600),
)
SLA_BREACHES = Counter("support_sla_breaches_total", "Sessions that went past their SLA")
DELIVERY_FAILURES = Counter(
    "support_delivery_failures_total",
    "Replies a platform did not take: failed (a transient error, retried by a job) or "
    "refused (for good, e.g. the user blocked the bot)",
    ["channel", "status"],
)
CSAT = Counter("support_csat_total", "Satisfaction ratings received", ["score"])
JOB_RUNS = Counter(
    "support_job_runs_total",
    "Periodic jobs run by this process, by job and result",
    ["job", "result"],
)
RETRIES = Counter(
    "support_retries_total",
    "Work done again after a failure: a Rasa call sent to another server, a turn "
    "recovered from a dead process, a failed delivery sent again",
    ["what"],
)
FANOUT = Counter(
    "support_fanout_events_total",
    "Console and chat events exchanged with other processes over Redis",
    ["direction"],
)
