"""The database: its tables and migrations, and one module per thing it stores.

    conversations  a row per user and channel
    messages       what everyone wrote, and whether each reply was delivered
    turns          which user messages still wait for their answer
    deliveries     platform deliveries seen before (deduplication)
    handoffs       handoff sessions: queue, claim, transfer, resolve, reopen
    positions      a waiting chat's place in the queue, and telling its user
    ratings        the 1-5 question after a resolve, and its answer
    agents         agent accounts, login tokens, presence
    search         sessions by ticket or user id, messages by words (indexes: migration 0007)
    outcomes       how each bot turn ended (answer, miss, handoff…), for analytics
    analytics      the supervisors' figures for a period (conversations, handoffs, CSAT…)
    activity       user messages per conversation and quarter-hour, for analytics (0021)
    routing        agents' languages and capacity; live chats given to the best agent
    leases, jobs   work that one process at a time may do
    cache          small shared values that expire
    kb             live knowledge-base articles, publishes, the live index (0014)
    gaps           content gaps: messages the bot had no good answer for, their groups (0018)
    callbacks      phone callbacks: the number held, the booking on its ticket (0019)

Functions take an open SQLAlchemy ``Session`` and never commit: the caller's
transaction decides what happens together.
"""

from store import (
    activity,  # noqa: F401  (registers the analytics roll-up's table on Base)
    callback_tables,  # noqa: F401  (registers the callbacks' tables on Base)
    email_tables,  # noqa: F401  (registers email's tables on Base)
    gaps_tables,  # noqa: F401  (registers the content gaps' tables on Base)
    kb_tables,  # noqa: F401  (registers the knowledge base's tables on Base)
    outbox_tables,  # noqa: F401  (registers the event outbox's table on Base)
    outcomes,  # noqa: F401  (registers the turn outcomes' table on Base)
    routing_tables,  # noqa: F401  (registers routing's tables on Base)
)
from store.db import database_url, make_engine, migrate, read_sessions, session_factory
from store.errors import Conflict, NotFound

__all__ = [
    "Conflict",
    "NotFound",
    "database_url",
    "make_engine",
    "migrate",
    "read_sessions",
    "session_factory",
]
