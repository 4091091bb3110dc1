"""Auto-assignment: what users and consoles see when routing gives a chat to an agent.

:func:`store.routing.assign_waiting` picks the agents, one pass at a time across
gateway processes; this tells each user who joined (as a claim by hand does), notes
it on the conversation for agents, and pushes a queue refresh to the consoles.
It runs when a live chat opens, when an agent resolves one, and every
``DESK_ROUTING_SECONDS`` (for agents who came online or got a slot back).
"""

from __future__ import annotations

from datetime import timedelta

from common.messages import OutboundMessage
from common.metrics import CLAIM_SECONDS
from events import DESK
from handoff.desk import Desk
from store import messages, routing
from store.models import Agent, HandoffSession


class AutoAssign:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def __call__(self) -> dict[int, list[OutboundMessage]] | None:
        """One pass; what each assigned session's user was told. None when it is off."""
        desk = self.desk
        now = desk.clock()
        seen_since = now - timedelta(seconds=desk.settings.presence_timeout_seconds)
        joined: list[tuple[HandoffSession, str]] = []
        with desk.database() as db:  # a read first: no write lock while it is off
            if not routing.auto_assign(db, desk.settings.auto_assign):
                return None
        with desk.database.begin() as db:
            for session_id, agent_id in routing.assign_waiting(db, now, seen_since):
                session = db.get(HandoffSession, session_id)
                agent = db.get(Agent, agent_id)
                assert session is not None and agent is not None
                note = f"Assigned automatically to {agent.display_name} ({session.language})"
                messages.add_message(db, session.conversation_id, "system", note, kind="note")
                joined.append((session, agent.display_name))
        told: dict[int, list[OutboundMessage]] = {}
        for session, name in joined:
            waited_since = session.reopened_at or session.queued_at
            if waited_since:
                CLAIM_SECONDS.observe(max(0.0, (now - waited_since).total_seconds()))
            told[session.id] = await desk.outbox.tell(
                session.conversation_id, session.language, "joined", agent=name
            )
        if joined:
            desk.hub.publish(DESK, {"type": "queue"})
        return told
