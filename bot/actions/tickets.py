"""``ticket_status``: what happened to the user's handoff, read from the desk's database."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.actions.faq import offer_human
from bot.actions.shared import knowledge_base, language_of
from common.payload import HandoffReason
from common.settings import desk_settings
from store import handoffs, make_engine, session_factory

log = logging.getLogger(__name__)

_RESPONSE = {
    "queued": "utter_ticket_waiting",
    "reopened": "utter_ticket_waiting",
    "assigned": "utter_ticket_assigned",
    "resolved": "utter_ticket_resolved",
}


@lru_cache(maxsize=1)
def desk_sessions() -> sessionmaker[Session]:
    """The desk database (``DATABASE_URL``), shared with the gateway."""
    return session_factory(make_engine())


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    zone = desk_settings().timezone
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} ({zone})"


class ActionTicketStatus(Action):
    def name(self) -> str:
        return "action_ticket_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            with desk_sessions()() as db:
                session = handoffs.latest_session(db, tracker.sender_id)
                found = (session.ticket, session.state, session.due_at) if session else None
        except SQLAlchemyError:
            log.exception("ticket lookup failed for %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_ticket_unavailable")
            return [
                SlotSet("failed_turns", 0),
                *offer_human(dispatcher, HandoffReason.USER_REQUEST),
            ]
        if found is None:
            dispatcher.utter_message(response="utter_ticket_none")
            # What they usually want to know: how long replies take.
            answer = knowledge_base().answer("ticket-reply-time", language_of(tracker))
            dispatcher.utter_message(text=answer)
            return [
                SlotSet("failed_turns", 0),
                *offer_human(dispatcher, HandoffReason.USER_REQUEST),
            ]
        ticket, state, due = found
        dispatcher.utter_message(response=_RESPONSE[state], ticket=ticket, due=_local(due))
        return [SlotSet("failed_turns", 0)]
