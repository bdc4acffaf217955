"""The session's start: Rasa's own events, and a welcome back when something of the customer's is still open."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import memory, welcome
from actions.welcome import ActionSessionStart, order_news
from desk.queue import QueueRules
from desk.store import DeskStore
from kefu.orders import Order
from tests.actions.conftest import make_tracker
from tests.desk.conftest import escalate

NOW = time.time()
DAY = 86400.0
CONVERSATIONS = memory.conversations  # as imported, before the autouse fixture stands in for it


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskStore:
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}", QueueRules(), presence_ttl_s=60)
    monkeypatch.setattr(welcome, "shared_store", lambda: store)
    monkeypatch.setattr(memory, "shared_store", lambda: store)
    return store


@pytest.fixture
def earlier(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict]]:
    """Each conversation's stored events (the tracker store), by conversation id."""
    stored: dict[str, list[dict]] = {}

    def history(senders: list[str], since: float, before: float | None, types: tuple[str, ...]) -> list[dict]:
        return [e for sender in senders for e in stored.get(sender, [])]

    monkeypatch.setattr(memory, "stored_history", history)
    return stored


def user(text: str, at: float) -> dict:
    return {"event": "user", "text": text, "timestamp": at, "parse_data": {}}


def start(tracker: Tracker, domain: dict) -> tuple[list[str], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSessionStart().run(dispatcher, tracker, domain))
    return [m["text"] for m in dispatcher.messages], events


def new_session(sender: str = "test-user", metadata: dict | None = None, **slots: Any) -> Tracker:
    tracker = make_tracker(slots={"session_started_metadata": metadata, **slots})
    tracker.sender_id = sender
    tracker.latest_message["metadata"] = metadata or {}
    return tracker


def test_the_session_starts_as_rasas_and_says_nothing_without_history(store: DeskStore, earlier: dict,
                                                                      domain: dict) -> None:
    said, events = start(new_session(language="en", customer_tier="vip"), domain)
    assert said == []
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried == {"language": "en", "customer_tier": "vip"}


def test_an_order_on_its_way_is_told_in_the_customers_language(store: DeskStore, earlier: dict,
                                                               domain: dict) -> None:
    earlier["test-user"] = [user("我的订单KF20231123018发货了吗", NOW - DAY)]
    said, _ = start(new_session(language="zh"), domain)
    assert said == ["欢迎回来！您上次问的订单 KF20231123018 正在由顺丰速运配送，预计 2026-11-25 送达。"
                    "还有什么可以帮您？"]
    said, _ = start(new_session(language="en"), domain)
    assert said[0].startswith("Welcome back! The order you asked about, KF20231123018, is on its way with SF "
                              "Express")


def test_an_order_delivered_since_they_asked_is_news_and_one_they_knew_of_is_not() -> None:
    order = Order(number="KF1", status="delivered", carrier={}, tracking_number="", eta="", delivered_at="2026-11-20")
    asked = datetime(2026, 11, 19, tzinfo=UTC).timestamp()
    assert order_news(order, asked) == "utter_welcome_back_order_delivered"
    assert order_news(order, datetime(2026, 11, 22, tzinfo=UTC).timestamp()) is None
    assert order_news(Order(number="KF2", status="cancelled", carrier={}, tracking_number="", eta=""), asked) is None


def test_an_open_ticket_or_a_live_hand_over_comes_first(store: DeskStore, earlier: dict, domain: dict) -> None:
    earlier["test-user"] = [user("KF20231123018", NOW - DAY)]
    ticket = store.create_ticket("test-user", channel="rest", language="zh", message="请回电", contact="a@b.cn")
    said, _ = start(new_session(language="zh"), domain)
    assert said == [f"欢迎回来！您的留言（工单 #{ticket['id']}）我们还在处理，客服会通过您留下的联系方式回复您。"
                    "还有什么可以帮您？"]
    escalate(store, "test-user")
    said, _ = start(new_session(language="en"), domain)
    assert said == ["Welcome back! Your request for a person is still open; an agent will answer you here."]


def test_a_verified_customer_is_welcomed_on_another_channel_and_a_visitor_is_not(
        store: DeskStore, earlier: dict, domain: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "conversations", CONVERSATIONS)  # the real one, not the autouse stand-in
    verified = {"customer_id": "u-42", "customer_verified": True}
    earlier["rest-1"] = [user("我的订单KF20231123018发货了吗", NOW - DAY)]
    store.link_customer("u-42", "rest-1", "rest")
    said, _ = start(new_session("web-1", verified, language="zh"), domain)
    assert said and "KF20231123018" in said[0]
    assert sorted(store.linked_conversations("web-1")) == ["rest-1", "web-1"]  # linked by its first message
    # The same id without the channel's verification (a forged signature is dropped before it gets here).
    said, _ = start(new_session("web-2", {"identity_refused": "forged"}, language="zh"), domain)
    assert said == [] and store.linked_conversations("web-2") == ["web-2"]


def test_nothing_the_welcome_needs_can_stop_the_session(earlier: dict, domain: dict,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise RuntimeError("desk gone")

    monkeypatch.setattr(welcome, "shared_store", broken)
    said, events = start(new_session(language="zh"), domain)
    assert said == [] and events[0]["event"] == "session_started"


