"""Fixtures in rasa-demo's style: a tracker, a dispatcher and the domain, without any server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]


def make_tracker(slots: dict[str, Any] | None = None, text: str = "", intent: str = "", **_: Any) -> Tracker:
    """A tracker whose latest message has the given text and intent."""
    return Tracker(
        sender_id="test-user",
        slots={"language": "zh", "requested_slot": None, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture
def tracker() -> Tracker:
    return make_tracker()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain files merged the simple way (enough for actions, which read responses and slots)."""
    merged: dict[str, Any] = {"responses": {}, "slots": {}, "intents": [], "forms": {}}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text(encoding="utf-8"))
        for key in ("responses", "slots", "forms"):
            merged[key].update(part.get(key) or {})
        merged["intents"] += part.get("intents") or []
    return merged


@pytest.fixture(autouse=True)
def no_earlier_conversations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Actions read a customer's earlier sessions from the tracker store: none here, unless a test gives some."""
    from actions import memory

    monkeypatch.setattr(memory, "stored_history", lambda sender, since, before, types: [])

    async def only_this_one(tracker: Tracker) -> list[str]:
        return [tracker.sender_id]

    # No desk database either: a customer's conversations are the current one (tests of linking give a store).
    monkeypatch.setattr(memory, "conversations", only_this_one)
    from actions.clients import kb as kb_client

    # No follow-up questions learned, unless a test gives some.
    monkeypatch.setattr(kb_client, "follow_ups_of", lambda faq_id: [])
