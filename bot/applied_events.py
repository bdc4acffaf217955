"""A tracker's applied events worked out once per change of its events, not at every call.

Rasa 3.6's `DialogueStateTracker.applied_events` walks every event of the conversation (twice: once for the loop
names) with `isinstance` checks against abstract classes, and Rasa asks for it many times a message: the policies'
states, each prediction's loop checks, the rule policy's unhappy paths, travelling back in time, our escalation
policy. Under a burst that was 13% of Rasa's Python time. Here the result is kept on the tracker with what it was
worked out from (the events container, its length, its first and last event) and handed out again, as a new list,
while those are unchanged: a tracker's events are only ever appended, dropped from the front, or replaced whole,
and each of those changes one of them. tests/bot/test_applied_events.py compares with Rasa's own after every event
of every conversation test, reverts, restarts and session starts included.
"""

from __future__ import annotations

from typing import Any, Dict, List

# Where each tracker keeps its applied events (an attribute: trackers define __eq__, so they cannot be dict keys).
KEPT_ATTR = "_kefu_applied_events"
_original: Dict[str, Any] = {}


def applied_events(self: Any) -> List[Any]:
    """DialogueStateTracker.applied_events, worked out again only when the tracker's events have changed."""
    events = self.events
    count = len(events)
    kept = self.__dict__.get(KEPT_ATTR)
    # The kept first and last events are held, so that no other event can take their ids meanwhile.
    if (kept is not None and kept[0] is events and kept[1] == count
            and (count == 0 or (kept[2] is events[0] and kept[3] is events[-1]))):
        return list(kept[4])
    applied: List[Any] = _original["applied_events"](self)
    self.__dict__[KEPT_ATTR] = (events, count, events[0] if count else None, events[-1] if count else None,
                                list(applied))
    return applied


def install() -> None:
    """Make DialogueStateTracker.applied_events remember its result (once per process)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    if "applied_events" not in _original:
        _original["applied_events"] = DialogueStateTracker.applied_events
        DialogueStateTracker.applied_events = applied_events  # type: ignore[method-assign]
