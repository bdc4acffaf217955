"""Dialogue states computed once per event instead of once per prediction.

Rasa's policies (MemoizationPolicy, RulePolicy) featurize a conversation as the list of its states, one before each
action. Rasa 3.6's `Domain.states_for_tracker_history` builds that list by replaying the whole conversation from
its first event, for every policy, at every prediction: three or four replays per customer message, each longer
than the last (about 9% of Rasa's CPU under load, and growing with the conversation).

Here the replay is kept on the tracker (by the arguments it was made with) and continued from where it stopped
when the tracker's applied events still begin with the events it replayed; anything else (an undone turn, a
reverted action, a new domain) replays from the start as Rasa does. Callers get copies, so what a policy changes in
the states it is given never reaches the kept ones. tests/bot/test_dialogue_states.py checks the result equals
Rasa's own for every prefix of every conversation test.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.events import ActionExecuted, Event

State = Dict[str, Any]
# Where each tracker keeps its replays (an attribute: trackers define __eq__, so they cannot be dict keys).
REPLAYS_ATTR = "_kefu_state_replays"


@dataclass
class Replay:
    """A conversation replayed up to some event, with the states seen so far."""

    domain: Any
    tracker: Any  # DialogueStateTracker after the replayed events
    events: List[Event] = field(default_factory=list)
    states: List[State] = field(default_factory=list)
    last_ml_action_sub_state: Optional[Dict[str, Any]] = None
    turn_was_hidden: bool = False


def states_for_tracker_history(self: Any, tracker: Any, omit_unset_slots: bool = False,
                               ignore_rule_only_turns: bool = False,
                               rule_only_data: Optional[Dict[str, Any]] = None) -> List[State]:
    """Domain.states_for_tracker_history, continuing the tracker's kept replay when it can."""
    key = (omit_unset_slots, ignore_rule_only_turns, json.dumps(rule_only_data, sort_keys=True, default=str))
    replays: Dict[Tuple[bool, bool, str], Replay] = tracker.__dict__.setdefault(REPLAYS_ATTR, {})
    applied = tracker.applied_events()
    replay = replays.get(key)
    if (replay is None or replay.domain is not self or len(replay.events) > len(applied)
            or not all(map(operator.is_, replay.events, applied))):
        replay = replays[key] = Replay(self, tracker.init_copy())
    flags = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(replay.events):]:
        if isinstance(event, ActionExecuted):
            _state_before_action(replay, event.hide_rule_turn, *flags)
        replay.tracker.update(event)
        replay.events.append(event)
    # The state after the last event (Rasa's replay ends with it) is made on a copy: the next event may change it.
    ending = dataclasses.replace(replay, states=list(replay.states))
    _state_before_action(ending, False, *flags)
    return _copy_states(ending.states)


def _state_before_action(replay: Replay, hide_rule_turn: bool, omit_unset_slots: bool,
                         ignore_rule_only_turns: bool, rule_only_data: Optional[Dict[str, Any]]) -> None:
    """One step of Rasa's loop over `generate_all_prior_trackers`, line for line."""
    domain, tr = replay.domain, replay.tracker
    if ignore_rule_only_turns:
        # remember previous ml action based on the last non hidden turn
        if not replay.turn_was_hidden:
            replay.last_ml_action_sub_state = domain._get_prev_action_sub_state(tr)
        # followup action or happy path loop prediction don't change whether the turn is hidden
        if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
            replay.turn_was_hidden = hide_rule_turn
        if replay.turn_was_hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if replay.states:
            domain._substitute_rule_only_user_input(state, replay.states[-1])
        if replay.last_ml_action_sub_state:
            state[PREVIOUS_ACTION] = replay.last_ml_action_sub_state
    replay.states.append(domain._clean_state(state))


def _copy_states(states: List[State]) -> List[State]:
    """New state and sub-state dicts, shared between states where Rasa's are (a policy may edit what it gets)."""
    copies: Dict[int, Dict[str, Any]] = {}
    out = []
    for state in states:
        new = {}
        for name, sub_state in state.items():
            if isinstance(sub_state, dict):
                copy = copies.get(id(sub_state))
                if copy is None:
                    copy = copies[id(sub_state)] = dict(sub_state)
                new[name] = copy
            else:
                new[name] = sub_state
        out.append(new)
    return out


def install() -> None:
    """Make Rasa's Domain use this."""
    from rasa.shared.core.domain import Domain

    Domain.states_for_tracker_history = states_for_tracker_history  # type: ignore[method-assign]
