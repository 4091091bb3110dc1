"""Conversations' record and the human desk.

    inbox    every user message, stored first, and who should answer it
    outbox   replies stored, then sent through the user's channel; retries
    desk     handoff sessions: queue or ticket, claim, transfer, reply, resolve
    callbacks  phone callbacks: numbers masked and held, booked on a ticket, done
    ratings  the 1-5 question after a resolve
    gaps     content gaps: the turns the bot had no good answer for, grouped by meaning
    routing  auto-assignment: new live chats to the agent who speaks the language
    sla      jobs: SLA breaches, chats turned into tickets, due-soon reminders
    views    what consoles show of sessions and messages
    api      the agent API (/api/agent); console: the agents' page (/console)

The gateway (``gateway.router``) decides where each message goes; this package
keeps the record and runs the desk. ``python -m handoff`` manages agent accounts.
"""

from handoff.callbacks import Callbacks
from handoff.desk import Blocked, Desk, Forbidden
from handoff.inbox import Inbound, Inbox
from handoff.outbox import Outbox
from handoff.ratings import Ratings
from handoff.sla import SlaWatch

__all__ = [
    "Blocked",
    "Callbacks",
    "Desk",
    "Forbidden",
    "Inbound",
    "Inbox",
    "Outbox",
    "Ratings",
    "SlaWatch",
]
