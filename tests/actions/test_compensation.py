"""The customer hears the desk's compensation decisions in their language, each status once, only their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import compensation as action_module
from actions.compensation import ActionTellCompensation
from desk.queue import QueueRules
from desk.store import DeskStore
from kefu.compensation import Policy

POLICY = Policy.parse("bot=10; agent=50; supervisor=500", "300/30d")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskStore:
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}", QueueRules())
    monkeypatch.setattr(action_module, "shared_store", lambda: store)
    return store


def told(compensation_id: int, language: str = "en", sender: str = "cust-1") -> list[dict]:
    tracker = Tracker(sender_id=sender, slots={"language": language},
                      latest_message={"intent": {"name": "EXTERNAL_compensation"}, "text": "",
                                      "entities": [{"entity": "compensation_id", "value": str(compensation_id)}]},
                      events=[], paused=False, followup_action=None, active_loop={}, latest_action_name=None)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionTellCompensation().run(dispatcher, tracker, {}))
    return dispatcher.messages


def test_each_step_is_told_once_in_the_customers_language(store: DeskStore) -> None:
    pending, _ = store.compensate(POLICY, key="k-1", conversation_id="cust-1", kind="partial_refund", amount=80,
                                  reason="wrong size sent", actor="ann", role="agent")
    [message] = told(pending["id"])
    assert message["response"] == "utter_compensation_pending" and message["what"] == "a ¥80 partial refund"
    assert told(pending["id"]) == []  # the console's notice came twice
    assert told(pending["id"], sender="someone-else") == []  # never another customer's
    store.decide(POLICY, pending["id"], approve=True, actor="sue", role="supervisor")
    store.set_compensation_code(pending["id"], "RFP-1234")
    [approved] = told(pending["id"], "zh")
    assert approved["response"] == "utter_compensation_approved" and approved["code"] == "RFP-1234"
    assert approved["what"] == "80 元部分退款"
