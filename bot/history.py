"""Rasa's dialogue-history work done once per event instead of once per use.

Within a turn Rasa 3.6 walks the conversation's whole history many times: the
applied events on every policy prediction (``applied_events``), every past dialogue
state replayed and featurised three times per prediction (the memoization policy once,
the rule policy twice), and the tracker replayed from its first event each time an
action runs (``DialogueStateTracker.copy``). Over a 120-message conversation that made
a turn grow by about 2.5 ms per earlier message (docs/benchmarks.md, "Long
conversations"). Here each is kept on the tracker and carried forward from the events
already seen, so the same answers cost what the new events cost:

- ``applied_events`` and the past states continue from where the last call stopped
  when the events seen then are, by identity, the start of the events now; anything
  else (an event dropped or replaced, a loop name not seen before, another domain)
  computes them from scratch, exactly as Rasa does. Callers get fresh lists, and
  their own copies of what Rasa's featurizer edits in place (user sub-states).
- ``copy`` builds the copy from the tracker's state instead of replaying every event;
  the follow-up action, which Rasa's processor clears without an event, is taken from
  the events as a replay would. Trackers with reverted events, a capped history or no
  domain slots are copied by replay as before.
- The rule policy gets only as many past states as its longest rule has (plus one):
  a rule is checked against at most that many, so its choice is the same.

``tests/test_history.py`` checks each against Rasa's own code on real conversations.
"""

from __future__ import annotations

import copy as copying
import json
import operator
from dataclasses import dataclass, field, replace
from typing import Any

from rasa.core.policies.rule_policy import (
    RULES,
    RULES_FOR_LOOP_UNHAPPY_PATH,
    RULES_NOT_IN_STORIES,
    RulePolicy,
)
from rasa.shared.core.constants import (
    ACTION_LISTEN_NAME,
    ACTION_SESSION_START_NAME,
    PREVIOUS_ACTION,
    USER,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker
from rasa.shared.nlu.constants import INTENT, TEXT

_original_applied = DialogueStateTracker.applied_events
_original_copy = DialogueStateTracker.copy
_original_states = Domain.states_for_tracker_history
_original_rule_states = RulePolicy._prediction_states
_APPLIED = "_bot_applied"
_REVERTS = {ActionReverted.type_name, UserUtteranceReverted.type_name}  # and subclasses
_STATES = "_bot_states"
CARRIED: set[str] = set()  # tracker attributes a copy shares (see bot.action_payload)


def _starts_with(seen: list[Any], now: Any) -> bool:
    return len(now) >= len(seen) and all(map(operator.is_, seen, now))


@dataclass
class _Applied:
    seen: list[Event]
    loops: set[str]
    applied: list[Event]


def applied_events(self: DialogueStateTracker) -> list[Event]:
    memo: _Applied | None = self.__dict__.get(_APPLIED)
    events = self.events
    if memo is not None and _starts_with(memo.seen, events):
        new = list(events)[len(memo.seen) :]
        if all(not isinstance(e, ActiveLoop) or not e.name or e.name in memo.loops for e in new):
            for event in new:
                _apply(self, event, memo.loops, memo.applied)
            memo.seen.extend(new)
            return list(memo.applied)
    applied = _original_applied(self)
    loops = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
    self.__dict__[_APPLIED] = _Applied(list(events), loops, list(applied))
    return applied


def _apply(tracker: DialogueStateTracker, event: Event, loops: set[str], done: list[Event]) -> None:
    """One step of Rasa's ``applied_events`` loop (``done`` is its running list)."""
    if isinstance(event, (Restarted, SessionStarted)):
        done.clear()
    elif isinstance(event, ActionReverted):
        tracker._undo_till_previous(ActionExecuted, done)
    elif isinstance(event, UserUtteranceReverted):
        tracker._undo_till_previous(UserUttered, done)
        tracker._undo_till_previous(ActionExecuted, done)
    elif (
        isinstance(event, ActionExecuted)
        and event.action_name in loops
        and not tracker._first_loop_execution_or_unhappy_path(event.action_name, done)
    ):
        tracker._undo_till_previous_loop_execution(event.action_name, done)
    else:
        done.append(event)


@dataclass
class _States:
    domain: Domain
    replay: DialogueStateTracker  # the state after ``seen``
    seen: list[Event] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)  # one per action in seen
    last_ml_action: Any = None
    hidden: bool = False


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    if type(tracker) is not DialogueStateTracker:  # training's own trackers cache their own
        return _original_states(
            self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data
        )
    key = (omit_unset_slots, ignore_rule_only_turns, json.dumps(rule_only_data, sort_keys=True))
    memos: dict[Any, _States] = tracker.__dict__.setdefault(_STATES, {})
    applied = tracker.applied_events()
    memo = memos.get(key)
    if memo is None or memo.domain is not self or not _starts_with(memo.seen, applied):
        memo = memos[key] = _States(self, tracker.init_copy())
    options = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(memo.seen) :]:
        if isinstance(event, ActionExecuted):  # a past state: the one before each action
            _step(self, memo, memo.replay, event.hide_rule_turn, memo.states, *options)
        memo.replay.update(event)
        memo.seen.append(event)
    # The current state is not kept: the next call may see more events before it.
    scratch = replace(memo, states=list(memo.states))
    _step(self, scratch, memo.replay, False, scratch.states, *options)
    return _own_editable(scratch.states)


def _own_editable(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The states, with copies of the user sub-states Rasa's featurizer edits in place.

    It edits the last state's user sub-state, and removes the text from any that also
    has an intent; a user sub-state is shared by the rule-only turns that follow it, so
    each edited one is copied once and the copy shared the same way: an edit reaches
    what it reaches in stock Rasa, and the kept states stay as computed.
    """
    last = states[-1].get(USER) if states else None
    copies: dict[int, dict[str, Any]] = {}
    for index, state in enumerate(states):
        user = state.get(USER)
        if not isinstance(user, dict):
            continue
        edited = user is last or (INTENT in user and TEXT in user)
        if edited and id(user) not in copies:
            copies[id(user)] = dict(user)
        if edited:
            states[index] = {**state, USER: copies[id(user)]}
    return states


def _step(
    domain: Domain,
    memo: _States,
    tr: DialogueStateTracker,
    hide_rule_turn: bool,
    states: list[dict[str, Any]],
    omit_unset_slots: bool,
    ignore_rule_only_turns: bool,
    rule_only_data: dict[str, Any] | None,
) -> None:
    """The body of ``Domain.states_for_tracker_history``'s loop, for one prior tracker."""
    if ignore_rule_only_turns:
        if not memo.hidden:
            memo.last_ml_action = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
            memo.hidden = hide_rule_turn
        if memo.hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if states:
            domain._substitute_rule_only_user_input(state, states[-1])
        if memo.last_ml_action:
            state[PREVIOUS_ACTION] = memo.last_ml_action
    states.append(domain._clean_state(state))


def copy(self: DialogueStateTracker) -> DialogueStateTracker:
    events = self.events
    if (
        self._max_event_history
        or isinstance(self.slots, AnySlotDict)
        or any(e.type_name in _REVERTS for e in events)
    ):
        return _original_copy(self)
    clone = self.init_copy()
    clone.events = clone._create_events(list(events))
    clone.slots = {name: copying.copy(slot) for name, slot in self.slots.items()}
    clone._paused = self._paused
    clone.followup_action = _followup_after_replay(events)
    clone.latest_action = None if self.latest_action is None else dict(self.latest_action)
    message = self.latest_message
    clone.latest_message = UserUttered.empty() if message is None or message.is_empty() else message
    clone.latest_bot_utterance = self.latest_bot_utterance
    clone.active_loop = replace(self.active_loop) if self.active_loop else None
    for name in CARRIED:  # memos valid for the copy's events too (they check identity)
        if name in self.__dict__:
            clone.__dict__[name] = self.__dict__[name]
    return clone


def _followup_after_replay(events: Any) -> str | None:
    """The follow-up action a replay of *events* ends with (see the events' apply_to)."""
    for event in reversed(events):
        if isinstance(event, (UserUttered, ActionExecuted)):
            return None
        if isinstance(event, FollowupAction):
            return event.action_name
        if isinstance(event, Restarted):
            return ACTION_SESSION_START_NAME
        if isinstance(event, SessionStarted):
            return ACTION_LISTEN_NAME
    return ACTION_LISTEN_NAME  # a new tracker's


def _rule_prediction_states(self: RulePolicy, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    states: list[dict[str, Any]] = _original_rule_states(self, *args, **kwargs)
    longest = self.__dict__.get("_bot_longest_rule")
    if longest is None:
        tables = (RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RULES_NOT_IN_STORIES)
        # Rule keys are JSON lists of states; the list of rules not in stories also
        # names default and loop predictions, which are not.
        keys = [k for t in tables for k in self.lookup.get(t, ()) if k.startswith("[")]
        longest = self.__dict__["_bot_longest_rule"] = max(
            (len(self._rule_key_to_state(k)) for k in keys), default=0
        )
    return states[-(longest + 1) :]


def install() -> None:
    DialogueStateTracker.applied_events = applied_events
    DialogueStateTracker.copy = copy
    Domain.states_for_tracker_history = states_for_tracker_history
    RulePolicy._prediction_states = _rule_prediction_states
