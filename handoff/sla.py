"""Jobs that keep promises: SLA breaches flagged, waiting chats turned into tickets
when nobody is there to take them, and agents reminded of tickets coming due."""

from __future__ import annotations

from datetime import timedelta

from common.metrics import SLA_BREACHES
from events import DESK
from handoff.desk import Desk
from store import deadlines
from store.models import HandoffSession


class SlaWatch:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def sweep(self) -> None:
        """Flag SLA breaches once; waiting chats become tickets when nobody is there."""
        desk = self.desk
        now = desk.clock()
        with desk.database.begin() as db:
            breached = deadlines.flag_breaches(db, now)
            converted: list[HandoffSession] = []
            if not desk.agents_available(db, now):
                for session in deadlines.waiting_chats(db):
                    if deadlines.make_ticket(db, session.id, now):
                        db.refresh(session)
                        converted.append(session)
        if breached:
            SLA_BREACHES.inc(len(breached))
        for session in converted:
            await desk.ticket_notice(session)
        if breached or converted:
            desk.hub.publish(DESK, {"type": "queue"})
        await desk.tell_positions()  # moves held back so as not to flood the user

    async def remind(self) -> int:
        """Tell the consoles, once, about tickets due within ``reminder_hours``."""
        desk = self.desk
        now = desk.clock()
        before = now + timedelta(hours=desk.settings.reminder_hours)
        with desk.database.begin() as db:
            summaries = [desk.summary(db, s) for s in deadlines.due_soon(db, before, now)]
        for summary in summaries:
            desk.hub.publish(DESK, {"type": "reminder", "session": summary})
        return len(summaries)
