"""bot.history and bot.action_payload against Rasa's own code, on generated conversations.

Each conversation grows one event at a time on one tracker, as a live one does, so
the carried-forward work is exercised the way the server uses it; at every step the
answers are compared with stock Rasa's (the patches taken off for the comparison).
The events come from the real domain: forms, follow-ups, hidden rule turns, reverts,
restarts, new sessions, paused conversations.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rasa.core.actions.action import ActionExtractSlots, RemoteAction
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker

from bot import action_payload, history
from bot.actions.handoff import transcript
from bot.actions.respond import _previous_question
from tests.support import ROOT
from tests.support.randomness import SEED

PATCHED = {
    (DialogueStateTracker, "applied_events"): history.applied_events,
    (DialogueStateTracker, "copy"): history.copy,
    (Domain, "states_for_tracker_history"): history.states_for_tracker_history,
    (RulePolicy, "_prediction_states"): history._rule_prediction_states,
}
STOCK = {
    (DialogueStateTracker, "applied_events"): history._original_applied,
    (DialogueStateTracker, "copy"): history._original_copy,
    (Domain, "states_for_tracker_history"): history._original_states,
    (RulePolicy, "_prediction_states"): history._original_rule_states,
}


@contextmanager
def stock() -> Iterator[None]:
    for (owner, name), function in STOCK.items():
        setattr(owner, name, function)
    try:
        yield
    finally:
        for (owner, name), function in PATCHED.items():
            setattr(owner, name, function)


@pytest.fixture(scope="module")
def bot() -> Iterator[tuple[Domain, RulePolicy]]:
    """The domain, and a rule policy trained on the bot's rules (as `rasa train` does)."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "bot" / "domain"), [str(ROOT / "bot" / "data")]
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0, remove_duplicates=True
    ).generate()
    config = {**RulePolicy.get_default_config(), "core_fallback_threshold": 0.3}
    with tempfile.TemporaryDirectory() as tmp:
        policy = RulePolicy.create(
            config,
            LocalModelStorage(Path(tmp)),
            Resource("rules"),
            ExecutionContext(GraphSchema({}), "test"),
        )
        policy.train(trackers, domain)
        payload = (RemoteAction._action_call_format, ActionExtractSlots._execute_validation_action)
        history.install()
        action_payload.install()
        yield domain, policy
    for (owner, name), function in STOCK.items():  # other tests get stock Rasa back
        setattr(owner, name, function)
    RemoteAction._action_call_format, ActionExtractSlots._execute_validation_action = payload


def conversation(domain: Domain, rng: random.Random, turns: int) -> list[Event]:
    """Events a live conversation of *turns* user messages could log."""
    intents = [i for i in domain.intents if not i.startswith("session")]
    actions = [a for a in domain.user_actions if a.startswith(("action_", "utter_"))]
    forms = list(domain.form_names)
    slots = [s.name for s in domain.slots]
    events: list[Event] = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        SlotSet("language", "en"),
        ActionExecuted("action_listen"),
    ]
    for turn in range(turns):
        intent = rng.choice(intents)
        text = "/affirm" if rng.random() < 0.1 else f"message {turn} {intent}"
        entities = [{"entity": "chain", "value": "tron"}] if rng.random() < 0.3 else []
        events.append(UserUttered(text, {"name": intent, "confidence": 0.9}, entities))
        if rng.random() < 0.5:
            events.append(DefinePrevUserUtteredFeaturization(rng.random() < 0.3))
        events.append(SlotSet("language", rng.choice(["en", "zh", "es"])))
        roll = rng.random()
        if roll < 0.04:
            events += [UserUtteranceReverted()]
            continue
        if roll < 0.06:
            events += [ActionExecuted(rng.choice(actions)), ActionReverted()]
        elif roll < 0.08:
            events += [Restarted(), ActionExecuted("action_session_start"), SessionStarted()]
        elif roll < 0.1:
            events += [AllSlotsReset()]
        elif roll < 0.12:
            events += [ConversationPaused()] if rng.random() < 0.5 else [ConversationResumed()]
        action = rng.choice(actions)
        events.append(ActionExecuted(action, hide_rule_turn=rng.random() < 0.7))
        buttons = [{"title": "Yes, a human", "payload": "/affirm"}] if rng.random() < 0.3 else []
        events.append(BotUttered(f"reply {turn}", {"buttons": buttons} if buttons else {}))
        events.append(SlotSet(rng.choice(slots), rng.choice([None, "x", 3, ["a"]])))
        if forms and rng.random() < 0.2:
            form = rng.choice(forms)
            events += [FollowupAction(form), ActionExecuted(form), ActiveLoop(form)]
            if rng.random() < 0.5:
                events += [ActionExecutionRejected(form), LoopInterrupted(True)]
            if rng.random() < 0.5:
                events += [ActiveLoop(None)]
        events.append(ActionExecuted("action_listen"))
    return events


def state_of(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything a copy carries, comparable."""
    return {
        "current": tracker.current_state(EventVerbosity.ALL),
        "slots": {n: (s.value, s.has_been_set) for n, s in tracker.slots.items()},
        "followup": tracker.followup_action,
        "latest_action": tracker.latest_action,
        "loop": tracker.active_loop,
        # An empty placeholder (nothing said yet) is stamped when it is made.
        "message": untimed(tracker.latest_message),
        "bot": untimed(tracker.latest_bot_utterance),
        "paused": tracker._paused,
        "events": [id(e) for e in tracker.events],
    }


def untimed(event: Event | None) -> dict[str, Any] | None:
    return None if event is None else {**event.as_dict(), "timestamp": None}


def prediction(policy: RulePolicy, tracker: DialogueStateTracker, domain: Domain) -> Any:
    found = policy.predict_action_probabilities(tracker, domain)
    return (found.probabilities, found.hide_rule_turn, found.events, found.is_end_to_end_prediction)


def featurised(tracker: DialogueStateTracker, domain: Domain, rule_only: Any) -> list[Any]:
    """What the memoization and rule policies get, as their featurizers build it."""
    out = []
    for max_history in (5, None):
        featurizer = MaxHistoryTrackerFeaturizer(max_history=max_history)
        for text in (True, False):
            for ignore in (True, False):
                out.append(
                    featurizer.prediction_states(
                        [tracker], domain, text, ignore, rule_only if ignore else None
                    )
                )
    return out


@pytest.mark.parametrize("case", range(6))
def test_history_work_gives_rasas_answers_at_every_event(
    bot: tuple[Domain, RulePolicy], case: int
) -> None:
    domain, policy = bot
    rng = random.Random(SEED + case)
    rule_only = policy._get_rule_only_data()
    tracker = DialogueStateTracker("someone", domain.slots)
    for event in conversation(domain, rng, turns=25):
        tracker.update(event)
        patched = (
            tracker.applied_events(),
            featurised(tracker, domain, rule_only),
            state_of(tracker.copy()),
            prediction(policy, tracker, domain),
        )
        with stock():
            expected = (
                tracker.applied_events(),
                featurised(tracker, domain, rule_only),
                state_of(tracker.copy()),
                prediction(policy, tracker, domain),
            )
        assert [id(e) for e in patched[0]] == [id(e) for e in expected[0]]
        assert patched[1] == expected[1], type(event).__name__
        assert patched[2] == expected[2], type(event).__name__
        assert patched[3] == expected[3], type(event).__name__


def test_actions_read_the_same_history_from_the_shorter_payload(
    bot: tuple[Domain, RulePolicy],
) -> None:
    domain, _ = bot
    tracker = DialogueStateTracker("webchat:someone", domain.slots)
    for event in conversation(domain, random.Random(SEED), turns=60):
        tracker.update(event)
    action = RemoteAction("action_respond", None)
    sent = action._action_call_format(tracker, domain)["tracker"]
    whole = tracker.current_state(EventVerbosity.ALL)
    assert len(json.dumps(sent["events"])) < len(json.dumps(whole["events"])) / 2
    assert {k: v for k, v in sent.items() if k != "events"} == {
        k: v for k, v in whole.items() if k != "events"
    }
    short, full = Tracker.from_dict(sent), Tracker.from_dict(whole)
    assert transcript(short) == transcript(full)
    assert len(transcript(full)) > 60  # older turns' lines are in it
    assert _previous_question(short) == _previous_question(full)
    assert short.latest_message == full.latest_message and short.slots == full.slots
