"""The ``language`` slot: channel metadata, then the text, and the user's own choice."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker, ValidationAction
from rasa_sdk.events import EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.respond import ActionRespond
from bot.actions.shared import latest_text, render_response, service_kwargs
from common.language import (
    DEFAULT_LANGUAGE,
    Language,
    detect_language,
    find_language,
    normalise_language,
)

# Slots a new session must not inherit: the state of the last conversation's
# questions, and Rasa's own bookkeeping.
_NOT_CARRIED = frozenset(
    {
        "pending_question",
        "handoff_reason",
        "failed_turns",
        "requested_slot",
        "session_started_metadata",
    }
)
# Intents answered from the knowledge base, where a miss counts toward a human.
_KB_INTENTS = frozenset({"ask_faq", "nlu_fallback", "inform", "dont_know"})


def choose_language(
    current: str | None, locked: bool, metadata_language: object, text: str
) -> Language:
    """The user's explicit choice sticks; then the channel's; then the text's own."""
    if locked and current:
        return normalise_language(current) or DEFAULT_LANGUAGE
    return (
        normalise_language(metadata_language)
        or detect_language(text)
        or normalise_language(current)
        or DEFAULT_LANGUAGE
    )


class ValidateSlotMappings(ValidationAction):
    """Runs after every user message (Rasa's ``action_validate_slot_mappings``)."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        metadata = tracker.latest_message.get("metadata") or {}
        language = choose_language(
            tracker.get_slot("language"),
            bool(tracker.get_slot("language_locked")),
            metadata.get("language"),
            latest_text(tracker),
        )
        return {} if language == tracker.get_slot("language") else {"language": language}

    async def extract_failed_turns(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Misses count only "in a row": any clearly understood turn starts over."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in _KB_INTENTS or not tracker.get_slot("failed_turns"):
            return {}
        return {"failed_turns": 0}


class ActionSessionStart(Action):
    """Start a session with the service facts and the channel's language."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        # Carry over what the user told us (language, case details), not the
        # state of the last conversation's questions.
        for name, value in tracker.slots.items():
            if value is not None and name not in _NOT_CARRIED:
                events.append(SlotSet(name, value))
        service = service_kwargs()
        for slot in ("app_name", "chat_hours", "dispute_sla_hours"):
            events.append(SlotSet(slot, service[slot]))
        metadata = tracker.get_slot("session_started_metadata") or {}
        language = normalise_language(metadata.get("language"))
        if language and not tracker.get_slot("language_locked"):
            events.append(SlotSet("language", language))
        events.append({"event": "action", "name": "action_listen"})
        return events


SURE_REQUEST = 0.8  # change_language this probable: the user asks us to switch


class ActionChangeLanguage(Action):
    def name(self) -> str:
        return "action_change_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        confidence = float((tracker.latest_message.get("intent") or {}).get("confidence") or 0)
        if confidence < SURE_REQUEST:
            # "我爸只会说西班牙语，他能用西语找客服吗" (0.64) asks about languages; switching
            # and locking the conversation to Spanish answered nobody. Requests to switch
            # score 0.94 and more; the buttons' payloads 1.0.
            return await ActionRespond().run(dispatcher, tracker, domain)
        requested = next(
            (normalise_language(v) for v in tracker.get_latest_entity_values("language")), None
        ) or find_language(latest_text(tracker))
        if requested is None:
            dispatcher.utter_message(response="utter_ask_language")
            return []
        dispatcher.utter_message(text=render_response(domain, "utter_language_changed", requested))
        return [SlotSet("language", requested), SlotSet("language_locked", True)]
