"""bot/applied_events.py: the remembered applied events are Rasa's own after every event of every conversation
test, after reverts, restarts and session starts, after events dropped from the front, and for copies."""

from __future__ import annotations

import copy

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import applied_events
from tests.bot.test_dialogue_states import DOMAIN, after_every_event, order_form_turns

applied_events.install()
RASAS = applied_events._original["applied_events"]


def assert_same(tracker: DialogueStateTracker) -> None:
    ours = tracker.applied_events()
    assert ours == RASAS(tracker) and all(a is b for a, b in zip(ours, RASAS(tracker), strict=True))
    again = tracker.applied_events()  # remembered: the same events, in a list of its own
    assert again == ours and again is not ours


def test_every_prefix_of_every_conversation_test_gives_rasas_applied_events() -> None:
    assert after_every_event(assert_same) > 350


def test_reverts_restarts_loops_and_a_changed_event_list() -> None:
    tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
    for event in [*order_form_turns(), UserUtteranceReverted(), ActionReverted(), ActiveLoop(None), Restarted(),
                  ActionExecuted("action_listen"), SessionStarted(), ActionExecuted("action_listen"),
                  UserUttered("hi", {"name": "greet", "confidence": 1})]:
        tracker.update(event)
        assert_same(tracker)
    tracker.events.popleft()  # the tracker store drops what precedes the latest session start
    assert_same(tracker)
    tracker.events.popleft()
    tracker.events.append(ActionExecuted("utter_greet"))  # as many events as before, other first and last ones
    assert_same(tracker)
    copied = copy.deepcopy(tracker)
    assert_same(copied)
    back = tracker.travel_back_in_time(float("inf"))
    assert_same(back)
    tracker.events = type(tracker.events)([ActionExecuted("action_listen")])  # replaced whole
    assert_same(tracker)
    tracker.events.clear()
    assert_same(tracker)
