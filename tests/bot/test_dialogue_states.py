"""bot/dialogue_states.py: the kept, continued replay gives exactly Rasa's own states, after every event of every
conversation test, for every way the policies ask, and after turns are undone."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

from bot import dialogue_states

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
RASAS = Domain.states_for_tracker_history


def rule_only_data() -> List[Optional[Dict[str, Any]]]:
    slots = [s.name for s in DOMAIN.slots][:3]
    return [None, {"rule_only_slots": slots, "rule_only_loops": list(DOMAIN.form_names)[:1]}]


def conversations() -> List[List[Event]]:
    stories = []
    paths = [*sorted((ROOT / "tests" / "conversations").glob("*.yml")),
             *sorted((ROOT / "training_data" / "rules").glob("*.yml"))]
    for path in paths:
        for step in YAMLStoryReader(DOMAIN).read_from_file(str(path)):
            stories.append([ActionExecuted("action_listen"), *step.events])
    return stories


def after_every_event(check: Callable[[DialogueStateTracker], None]) -> int:
    """Call `check` on a new tracker and after each event of every conversation test; the events seen."""
    seen = 0
    for events in conversations():
        tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
        check(tracker)
        for event in events:
            tracker.update(event)
            check(tracker)
            seen += 1
    return seen


def order_form_turns() -> List[Event]:
    """The order form asked for a number, a greeting in between, the form again: a loop, interrupted."""
    return [ActionExecuted("action_listen"), UserUttered("查订单", {"name": "check_order_status", "confidence": 1}),
            ActionExecuted("order_status_form"), ActiveLoop("order_status_form"),
            SlotSet("requested_slot", "order_number"), ActionExecuted("action_listen"),
            UserUttered("你好", {"name": "greet", "confidence": 1}), ActionExecuted("utter_greet"),
            ActionExecuted("order_status_form"), ActionExecuted("action_listen")]


def assert_same(tracker: DialogueStateTracker) -> None:
    for data in rule_only_data():
        for omit in (False, True):
            for ignore in (False, True):
                ours = dialogue_states.states_for_tracker_history(DOMAIN, tracker, omit, ignore, data)
                rasas = RASAS(DOMAIN, tracker, omit, ignore, data)
                assert ours == rasas


def test_every_prefix_of_every_conversation_test_gives_rasas_states() -> None:
    stories = conversations()
    assert len(stories) > 20
    events_seen = 0
    for events in stories:
        tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
        for event in events:
            tracker.update(event)
            events_seen += 1
            assert_same(tracker)
    assert events_seen > 350


def test_undone_turns_and_a_new_session_replay_from_the_start() -> None:
    tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
    for event in conversations()[0]:
        tracker.update(event)
        assert_same(tracker)
    for event in [UserUtteranceReverted(), ActionReverted(), SessionStarted(), ActionExecuted("action_listen"),
                  UserUttered("你好", {"name": "greet", "confidence": 1.0}), ActionExecuted("utter_greet"),
                  ActionExecuted("action_listen")]:
        tracker.update(event)
        assert_same(tracker)


def test_what_a_policy_changes_in_its_states_does_not_reach_the_next_caller() -> None:
    tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
    for event in conversations()[0]:
        tracker.update(event)
    first = dialogue_states.states_for_tracker_history(DOMAIN, tracker)
    expected = RASAS(DOMAIN, tracker)
    for state in first:
        for sub_state in state.values():
            sub_state.clear()
    assert dialogue_states.states_for_tracker_history(DOMAIN, tracker) == expected


@pytest.mark.parametrize("hide", [False, True])
def test_hidden_rule_turns_match_rasa(hide: bool) -> None:
    tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
    for event in [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0}),
                  ActionExecuted("utter_greet", hide_rule_turn=hide), ActionExecuted("action_listen"),
                  UserUttered("thanks", {"name": "thank", "confidence": 1.0}),
                  ActionExecuted("utter_thank", hide_rule_turn=hide), ActionExecuted("action_listen")]:
        tracker.update(event)
        assert_same(tracker)
