"""A tracker copied from its state instead of by replaying every event of the conversation.

Rasa 3.6 runs every action on a copy of the tracker (`MessageProcessor._run_action`, and forms on activation), and
`DialogueStateTracker.copy` makes it by replaying each event of the conversation into a new tracker: two or three
replays a message, each longer as the conversation grows (6% of Rasa's Python time under a burst). A tracker's state
is by construction what its events replay to, so here the copy takes the same events and the state the replay would
end with: each slot's value, the pause, the follow-up action, the latest action, message and bot utterance, and
the active loop (as a new object: events change it in place). Trackers whose events may have been cut short by a
maximum history, or that create slots on demand, are copied Rasa's way. tests/bot/test_tracker_copy.py compares
every attribute with Rasa's copy after every event of every conversation test.
"""

from __future__ import annotations

import copy
from typing import Any, Dict

_original: Dict[str, Any] = {}


def copy_tracker(self: Any) -> Any:
    """DialogueStateTracker.copy: a new tracker with the same events and the state they replay to."""
    from rasa.shared.core.trackers import AnySlotDict

    events = self.events
    if isinstance(self.slots, AnySlotDict) or (events.maxlen is not None and len(events) >= events.maxlen):
        return _original["copy"](self)
    new = self.init_copy()
    new.events = new._create_events(list(events))
    for name, slot in self.slots.items():
        target = new.slots[name]
        target._value = slot._value
        target._has_been_set = slot._has_been_set
    new._paused = self._paused
    new.followup_action = self.followup_action
    new.latest_action = dict(self.latest_action) if self.latest_action is not None else None
    # Before any message (or after a reset) these are placeholders, which the new tracker already has its own of.
    if not _placeholder_message(self.latest_message):
        new.latest_message = self.latest_message
    if not _placeholder_utterance(self.latest_bot_utterance):
        new.latest_bot_utterance = self.latest_bot_utterance
    new.active_loop = copy.copy(self.active_loop)
    return new


def _placeholder_message(message: Any) -> bool:
    """True for `UserUttered.empty()` (what a tracker holds before its first message)."""
    return message is None or (message.text is None and not message.intent and message.message_id is None
                               and not message.parse_data.get("entities"))


def _placeholder_utterance(utterance: Any) -> bool:
    """True for `BotUttered.empty()`."""
    return utterance is None or (utterance.text is None and not utterance.data and not utterance.metadata)


def install() -> None:
    """Make DialogueStateTracker.copy copy the state (once per process)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    if "copy" not in _original:
        _original["copy"] = DialogueStateTracker.copy
        DialogueStateTracker.copy = copy_tracker  # type: ignore[method-assign]
