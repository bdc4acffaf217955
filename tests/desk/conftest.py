"""A desk store on a throw-away SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.queue import QueueRules
from desk.store import DeskStore


@pytest.fixture
def store(tmp_path: Path) -> DeskStore:
    return DeskStore(f"sqlite:///{tmp_path / 'desk.db'}", QueueRules(), presence_ttl_s=60)


def escalate(store: DeskStore, conversation: str, frustration: float = 0.2, tier: str = "regular",
             trigger: str = "request") -> dict:
    escalation, new = store.create_escalation(
        conversation, channel="socketio", language="zh", tier=tier, trigger=trigger, reason="asked",
        frustration=frustration, summary={"last_messages": []})
    assert new
    return escalation
