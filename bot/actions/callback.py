"""The callback form: a phone number and a slot inside the phone hours, then a booking.

The bot never sees the number itself. The gateway masks it before Rasa does
(``handoff.callbacks``): a valid one arrives as ``[phone …8000]``, digits that make no
number as ``[invalid phone …1234]`` (both from :mod:`common.phones`). Talking to Rasa
directly (no gateway) the text is read here with the same rules, so the form still
works; nothing is booked there. The booking is a handoff payload with reason
``callback``; the gateway opens the ticket, moves the number onto it and tells the user
the ticket number and the slot.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.handoff import transcript
from bot.actions.shared import language_of, latest_text
from bot.nlu.timeparse import parse_time
from common import phone_hours, phones
from common.clock import utcnow
from common.payload import Details, HandoffPayload, HandoffReason
from common.settings import desk_settings, service_settings

SLOTS = ("callback_phone", "callback_slot", "callback_offer")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?[+-]\d{2}:\d{2}")


def _hours() -> dict[str, str]:
    """What the responses say about the phone hours."""
    service = service_settings()
    return {"hours": service.phone_hours, "timezone": service.timezone}


def _buttons(tracker: Tracker, starts: list[datetime]) -> list[dict[str, str]]:
    zone, language = desk_settings().timezone, language_of(tracker)
    return [
        {
            "title": phone_hours.label(start, language, zone),
            "payload": "/inform" + json.dumps({"callback_slot": start.isoformat()}),
        }
        for start in starts
    ]


def next_slots(after: datetime) -> list[datetime]:
    return phone_hours.next_slots(
        service_settings().phone_hours, desk_settings().timezone, after + phone_hours.LEAD
    )


class ActionStartCallback(Action):
    """Forget an earlier booking's answers; keep a number this message already gave."""

    def name(self) -> str:
        return "action_start_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_callback_intro", **_hours())
        given = phones.VALID_TOKEN.search(latest_text(tracker))
        return [
            *(SlotSet(slot, None) for slot in SLOTS),
            SlotSet("callback_phone", given.group() if given else None),
            SlotSet("pending_question", None),
            SlotSet("failed_turns", 0),
        ]


class ActionAskCallbackPhone(Action):
    def name(self) -> str:
        return "action_ask_callback_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        example = phones.example(service_settings().callback_region)
        dispatcher.utter_message(response="utter_callback_ask_phone", example=example)
        # The gateway masks whatever digits the answer holds, valid or not.
        dispatcher.utter_message(json_message={"expect": "phone"})
        return []


class ActionAskCallbackSlot(Action):
    """The slot question, always with the next free slots as buttons (or those the last
    answer's validation proposed)."""

    def name(self) -> str:
        return "action_ask_callback_slot"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        offered = tracker.get_slot("callback_offer")
        now = utcnow()
        if offered:
            starts = [datetime.fromisoformat(s) for s in offered]
            response = "utter_callback_pick"
        else:
            starts = next_slots(now)
            service = service_settings()
            is_open = phone_hours.open_now(service.phone_hours, desk_settings().timezone, now)
            response = "utter_callback_ask_slot" if is_open else "utter_callback_ask_slot_closed"
        dispatcher.utter_message(response=response, buttons=_buttons(tracker, starts), **_hours())
        return [SlotSet("callback_offer", None)]


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    async def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None or not str(value).strip():
            # A slot reset by the form's start is not an answer: ask, don't scold.
            return {"callback_phone": None}
        text = str(value)
        given = phones.VALID_TOKEN.search(text)
        if given is None and not phones.INVALID_TOKEN.search(text):
            # Not through the gateway (Rasa's REST channel directly): read it here.
            read = phones.mask(text, service_settings().callback_region, attempts=True)
            given = phones.VALID_TOKEN.search(read.text)
        if given is not None:
            return {"callback_phone": given.group()}
        example = phones.example(service_settings().callback_region)
        dispatcher.utter_message(response="utter_callback_invalid_phone", example=example)
        return {"callback_phone": None}

    async def validate_callback_slot(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        service, zone, now = service_settings(), desk_settings().timezone, utcnow()
        raw = str(value or "").strip()[:200]
        if not raw:  # reset when the form started: not an answer
            return {"callback_slot": None}
        pressed = _ISO.search(raw)  # a slot button: /inform{"callback_slot": "<ISO>"}
        if pressed:
            moment: str | None = pressed.group()
        else:
            # The page's time zone reads "at 10" as the user's 10 o'clock.
            user_zone = (tracker.latest_message.get("metadata") or {}).get("timezone")
            reading = user_zone if isinstance(user_zone, str) else zone
            moment = parse_time(raw, now=now, zone=reading, future=True)
        if moment is None:
            dispatcher.utter_message(response="utter_callback_bad_time")
            return {"callback_slot": None}
        if "T" not in moment:  # a day without a time ("tomorrow"): that day's slots
            day = datetime.fromisoformat(moment).replace(tzinfo=now.tzinfo)
            starts = phone_hours.day_slots(service.phone_hours, zone, day, now) or next_slots(now)
            return {"callback_slot": None, "callback_offer": [s.isoformat() for s in starts]}
        asked = datetime.fromisoformat(moment)
        slot = phone_hours.slot_at(service.phone_hours, zone, asked, now)
        if slot is not None:
            return {"callback_slot": slot.isoformat(), "callback_offer": None}
        dispatcher.utter_message(response="utter_callback_outside_hours", **_hours())
        starts = next_slots(max(asked, now))
        return {"callback_slot": None, "callback_offer": [s.isoformat() for s in starts]}


class ActionBookCallback(Action):
    """After the form: the callback as a handoff payload; the gateway books it."""

    def name(self) -> str:
        return "action_book_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        phone = str(tracker.get_slot("callback_phone") or "")
        start = datetime.fromisoformat(str(tracker.get_slot("callback_slot")))
        end = start + phone_hours.SLOT
        payload = HandoffPayload(
            conversation_id=tracker.sender_id,
            reason=HandoffReason.CALLBACK,
            language=language_of(tracker),
            details=Details(
                callback={"phone": phone, "start": start.isoformat(), "end": end.isoformat()}
            ),
            summary=f"callback to {phone} at {start.isoformat()} ({phone_hours.SLOT})",
            transcript=transcript(tracker),
        )
        dispatcher.utter_message(json_message=payload.as_message())
        return [*(SlotSet(slot, None) for slot in SLOTS), SlotSet("handoff_reason", None)]
