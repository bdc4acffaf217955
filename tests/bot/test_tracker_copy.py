"""bot/tracker_copy.py: a tracker copied from its state is Rasa's replayed copy, attribute for attribute, after every
event of every conversation test and after reverts, restarts, loops and new sessions; changing the copy leaves the
original alone."""

from __future__ import annotations

from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_copy
from tests.bot.test_dialogue_states import DOMAIN, after_every_event, order_form_turns

tracker_copy.install()
RASAS = tracker_copy._original["copy"]


def attributes(tracker: DialogueStateTracker) -> dict[str, Any]:
    out = {k: v for k, v in vars(tracker).items() if not k.startswith("_kefu") and k not in ("slots", "events")}
    out["slots"] = {name: (slot.value, slot.has_been_set) for name, slot in tracker.slots.items()}
    out["events"] = list(tracker.events)
    # Before any message a tracker holds placeholders made when it was: the same but for their creation time.
    out["latest_message"] = untimed(tracker.latest_message.as_dict()) if tracker.latest_message else None
    out["latest_bot_utterance"] = untimed(tracker.latest_bot_utterance.as_dict()) if tracker.latest_bot_utterance \
        else None
    return out


def untimed(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "timestamp" or data.get("text") is not None}


def assert_same(tracker: DialogueStateTracker) -> None:
    ours, rasas = tracker.copy(), RASAS(tracker)
    assert attributes(ours) == attributes(rasas)
    assert ours.current_state() == rasas.current_state()
    assert ours.events is not tracker.events
    assert tracker.active_loop is None or ours.active_loop is not tracker.active_loop


def test_every_prefix_of_every_conversation_test_copies_as_rasa_copies() -> None:
    assert after_every_event(assert_same) > 350


def test_reverts_restarts_loops_and_what_a_copy_changes() -> None:
    tracker = DialogueStateTracker.from_events("t", [], DOMAIN.slots)
    for event in order_form_turns():
        tracker.update(event)
        assert_same(tracker)
    copied = tracker.copy()
    copied.update(SlotSet("order_number", "KF20231123018"))
    copied.update(ActionExecuted("order_status_form"))  # changes the copy's active loop in place
    copied.update(ActiveLoop(None))
    assert tracker.get_slot("order_number") is None and tracker.active_loop_name == "order_status_form"
    assert len(tracker.events) == len(copied.events) - 3
    for event in [UserUtteranceReverted(), ActionReverted(), Restarted(), ActionExecuted("action_listen"),
                  SessionStarted(), ActionExecuted("action_listen"),
                  UserUttered("hi", {"name": "greet", "confidence": 1}), SlotSet("language", "en")]:
        tracker.update(event)
        assert_same(tracker)


def test_a_tracker_with_a_full_history_or_slots_made_on_demand_is_copied_rasas_way() -> None:
    short = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")] * 3, DOMAIN.slots,
                                             max_event_history=3)
    assert attributes(short.copy()) == attributes(RASAS(short))
    anyslots = DialogueStateTracker.from_events("t", [SlotSet("anything", 1)], None)
    assert anyslots.copy().get_slot("anything") == 1
