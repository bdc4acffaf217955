"""The bot remembers a returning customer from their own stored conversation: their recent orders are offered when
they ask "where is my order" without a number, and the same question asked again within 7 days is noticed."""

from __future__ import annotations

import asyncio
import time

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import actions.faq as faq
from actions import memory
from actions.memory import asked_before, recent_orders, when_text
from actions.order_status import ActionAskOrderNumber
from tests.actions.conftest import make_tracker
from tests.actions.test_faq import kb, run, slots  # noqa: F401  (the small test KB)
from tests.knowledge_base.conftest import embedder, kb_settings, settings  # noqa: F401  (fixtures)

NOW = time.time()
DAY = 86400.0


def user(text: str, at: float) -> dict:
    return {"event": "user", "text": text, "timestamp": at, "parse_data": {}}


def session(at: float) -> dict:
    return {"event": "action", "name": "action_session_start", "timestamp": at}


def answered(faq_id: str, at: float) -> dict:
    return {"event": "bot", "text": "…", "timestamp": at, "metadata": {"utter_action": "utter_faq_answer",
                                                                       "faq_id": faq_id}}


def with_events(events: list[dict], **kwargs: object) -> Tracker:
    tracker = make_tracker(**kwargs)  # type: ignore[arg-type]
    tracker.events = events
    return tracker


def test_recent_orders_are_the_customers_own_newest_first() -> None:
    events = [user("订单 KF20230101001 呢", NOW - 40 * DAY),  # too old
              user("我的订单KF20231123018到哪了", NOW - 3 * DAY),
              {"event": "slot", "name": "order_number", "value": "2023112300012345", "timestamp": NOW - 2 * DAY},
              user("KF20231123018 还没到", NOW - DAY),
              user("再查 KF20231120007", NOW - 100)]
    assert recent_orders(events, NOW) == ["KF20231120007", "KF20231123018", "2023112300012345"]
    assert recent_orders([user("你好", NOW)], NOW) == []


def test_an_entry_given_in_an_earlier_conversation_of_the_week_is_a_repeat() -> None:
    earlier = [session(NOW - 3 * DAY - 120), answered("invoice-how", NOW - 3 * DAY + 5 - 60), session(NOW - 60)]
    found = asked_before(earlier, "invoice-how", NOW)
    assert found is not None and found.days_ago(NOW) == 3
    assert asked_before(earlier, "returns-fee", NOW) is None
    same_visit = [session(NOW - 300), answered("invoice-how", NOW - 200)]
    assert asked_before(same_visit, "invoice-how", NOW) is None  # asked twice in one conversation
    too_old = [session(NOW - 9 * DAY), answered("invoice-how", NOW - 9 * DAY), session(NOW - 60)]
    assert asked_before(too_old, "invoice-how", NOW) is None
    assert (when_text(3, "zh"), when_text(1, "zh"), when_text(0, "en")) == (" 3 天前", "昨天", "earlier today")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The conversation's earlier sessions, as the tracker store would give them (Rasa sends only the current)."""
    stored: list[dict] = []
    monkeypatch.setattr(memory, "stored_history", lambda sender, since, before, types: list(stored))
    return stored


def test_earlier_sessions_come_from_the_store_and_the_current_from_rasa(store: list[dict]) -> None:
    store.extend([session(NOW - 3 * DAY), user("KF20231123018 发货了吗", NOW - 3 * DAY)])
    tracker = with_events([session(NOW - 10), user("我的快递到哪了", NOW - 5)])
    assert [e.get("text") for e in asyncio.run(memory.remembered(tracker)) if e["event"] == "user"] == [
        "KF20231123018 发货了吗", "我的快递到哪了"]


def test_where_is_my_order_offers_the_customers_orders(domain: dict, store: list[dict]) -> None:
    def ask(events: list[dict], language: str = "zh") -> list[dict]:
        store[:] = events  # their earlier conversations
        dispatcher = CollectingDispatcher()
        asyncio.run(ActionAskOrderNumber().run(dispatcher, with_events([session(NOW)], slots={"language": language}),
                                               domain))
        return dispatcher.messages

    assert [m["response"] for m in ask([])] == ["utter_ask_order_number"]  # nobody to remember: as before
    [one] = ask([user("KF20231123018 发货了吗", NOW - DAY)])
    assert one["response"] == "utter_ask_order_number_recent" and one["order_number"] == "KF20231123018"
    assert one["buttons"] == [{"title": "KF20231123018", "payload": "KF20231123018"}]
    [several] = ask([user("KF20231123018", NOW - DAY), user("2023112300012345", NOW - 10)], "en")
    assert several["response"] == "utter_ask_order_number_choice"
    assert [b["payload"] for b in several["buttons"]] == ["2023112300012345", "KF20231123018"]
    texts = [v["text"] for v in domain["responses"]["utter_ask_order_number_recent"]]
    assert "是这个订单吗" in texts[0] and "{order_number}" in texts[1]


def test_the_same_question_a_few_days_later_offers_a_person(kb, dispatcher, domain,  # noqa: F811
                                                             store: list[dict]) -> None:
    store.extend([session(NOW - 3 * DAY - 120), answered("returns-fee", NOW - 3 * DAY - 60)])
    tracker = with_events([session(NOW - 30)], slots={"language": "zh"})
    tracker.latest_message["text"] = "退货的邮费谁来出"
    events = asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_answer", "utter_faq_asked_before"]
    assert dispatcher.messages[1]["when"] == " 3 天前" and slots(events)["handoff_reason"] == "repeat_inquiry"
    fresh = CollectingDispatcher()
    store.clear()
    run(faq.ActionAnswerFaq(), fresh, domain, text="退货的邮费谁来出", slots={"language": "zh"})
    assert [m["response"] for m in fresh.messages] == ["utter_faq_answer"]  # a first-time customer: no difference


def test_another_entry_of_the_same_category_counts_but_general_does_not() -> None:
    categories = {"returns-fee": "returns", "refund-time": "returns", "hello": "general", "hours": "general"}
    earlier = [session(NOW - 2 * DAY - 60), answered("refund-time", NOW - 2 * DAY), session(NOW - 60)]
    found = asked_before(earlier, "returns-fee", NOW, categories)
    assert found is not None and found.faq_id == "refund-time"
    assert asked_before(earlier, "returns-fee", NOW) is None  # without categories: the same entry only
    general = [session(NOW - DAY - 60), answered("hello", NOW - DAY), session(NOW - 60)]
    assert asked_before(general, "hours", NOW, categories) is None


def test_a_similar_question_a_few_days_later_offers_a_person_too(kb, dispatcher, domain,  # noqa: F811
                                                                 store: list[dict]) -> None:
    store.extend([session(NOW - 2 * DAY - 120), answered("refund-time", NOW - 2 * DAY - 60)])
    tracker = with_events([session(NOW - 30)], slots={"language": "zh"})
    tracker.latest_message["text"] = "退货的邮费谁来出"
    events = asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_answer", "utter_faq_asked_similar"]
    assert dispatcher.messages[1]["when"] == " 2 天前" and slots(events)["handoff_reason"] == "repeat_inquiry"
