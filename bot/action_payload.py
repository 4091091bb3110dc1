"""What Rasa sends the action server: the recent turns whole, older ones as lines.

Rasa 3.6 sends every event of the session, in full, with every custom-action call
(two per turn: the slot-mapping validation and the answer), and the action server
decodes them all: at message 100 that was about 400 KB per call, and after the
tracker reads it was what still made a turn grow with the conversation
(docs/benchmarks.md, "Long conversations"). The slots, the latest message and the
active loop travel beside the events and are unchanged.

Now the events of the last ``RECENT_TURNS`` user messages go whole; before them,
what the actions read from older history (``bot/actions/handoff.py``'s transcript:
who said what, when, and the buttons offered; ``respond.py``'s previous question)
goes as short lines, with the action, restart and undo markers that rasa_sdk's
``applied_events`` follows. Slot, featurisation and parse details of older turns are
dropped: no action reads them, and the slots' current values are sent anyway.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import rasa
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, Restarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot import history as history_memos

RECENT_TURNS = 10
_LINES = "_bot_action_lines"
_MARKERS = {"restart", "undo", "rewind", "session_started", "reset_slots"}


def line(event: Event) -> dict[str, Any] | None:
    """An older event as the actions need it, or None if they don't."""
    kind = event.type_name
    if kind == "user":
        return {"event": "user", "timestamp": event.timestamp, "text": event.text}
    if kind == "bot":
        said: dict[str, Any] = {"event": "bot", "timestamp": event.timestamp, "text": event.text}
        buttons = (event.data or {}).get("buttons")
        if buttons:
            said["data"] = {"buttons": buttons}
        return said
    if kind == "action":
        return {"event": "action", "timestamp": event.timestamp, "name": event.action_name}
    if kind in _MARKERS:
        return event.as_dict()
    return None


@dataclass
class _Lines:
    seen: list[Event]  # the older events turned into lines so far
    lines: list[dict[str, Any]]


def history(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    """The tracker's events as the action server gets them."""
    events = list(tracker.events)
    start, users = 0, 0
    for index in range(len(events) - 1, -1, -1):
        if events[index].type_name == "user":
            users += 1
            if users == RECENT_TURNS:
                start = index
                break
    # Older events don't change: their lines are kept on the tracker and extended.
    memo: _Lines | None = tracker.__dict__.get(_LINES)
    if memo is None or len(memo.seen) > start or not all(map(operator.is_, memo.seen, events)):
        memo = tracker.__dict__[_LINES] = _Lines([], [])
    for event in events[len(memo.seen) : start]:
        said = line(event)
        if said is not None:
            memo.lines.append(said)
    memo.seen.extend(events[len(memo.seen) : start])
    return memo.lines + [event.as_dict() for event in events[start:]]


def _action_call_format(
    self: RemoteAction, tracker: DialogueStateTracker, domain: Any
) -> dict[str, Any]:
    """``RemoteAction._action_call_format`` of Rasa 3.6.21, with the events above."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = history(tracker)
    result = {
        "next_action": self._name,
        "sender_id": tracker.sender_id,
        "tracker": state,
        "version": rasa.__version__,
    }
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(
        self.name()
    ):
        result["domain"] = domain.as_dict()
    return result


async def _execute_validation_action(
    self: ActionExtractSlots,
    extraction_events: list[Event],
    output_channel: Any,
    nlg: Any,
    tracker: DialogueStateTracker,
    domain: Domain,
) -> list[Event]:
    """``ActionExtractSlots._execute_validation_action`` of Rasa 3.6.21, whose tracker
    for the slot-mapping validation was rebuilt by replaying every event of the
    conversation each turn; without a restart, a copy of the tracker is the same."""
    slot_events = [event for event in extraction_events if isinstance(event, SlotSet)]
    if ACTION_VALIDATE_SLOT_MAPPINGS not in domain.user_actions:
        return list(slot_events)
    if any(event.type_name == Restarted.type_name for event in tracker.events):
        _tracker = DialogueStateTracker.from_events(
            tracker.sender_id,
            [*tracker.events_after_latest_restart(), *slot_events],
            slots=domain.slots,
        )
    else:
        _tracker = tracker.copy()
        for event in slot_events:
            _tracker.update(event)
    validate_events = await self._run_custom_action(
        ACTION_VALIDATE_SLOT_MAPPINGS, output_channel, nlg, _tracker, domain
    )
    validated = {event.key for event in validate_events if isinstance(event, SlotSet)}
    return [*validate_events, *(e for e in slot_events if e.key not in validated)]


def install() -> None:
    history_memos.CARRIED.add(_LINES)  # the answer runs on a copy of the tracker
    RemoteAction._action_call_format = _action_call_format
    ActionExtractSlots._execute_validation_action = _execute_validation_action
