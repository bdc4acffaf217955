"""Handoff actions with tracker and dispatcher fixtures on a throw-away desk database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff, satisfaction, tickets
from actions.handoff import (
    ActionEndHandoff,
    ActionHandoff,
    ActionQueueStatus,
    ActionRelayAgentReply,
    ActionRelayToAgent,
)
from actions.satisfaction import ActionStoreNps, ActionStoreRating, ActionStoreRatingComment
from actions.tickets import ActionLeaveTicket, find_contact
from desk.attachments import check_upload
from desk.queue import QueueRules
from desk.store import DeskStore
from kefu.config import get_settings
from tests.support.files import PDF, image


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskStore:
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}", QueueRules(), presence_ttl_s=60)
    for module in (handoff, satisfaction, tickets):
        monkeypatch.setattr(module, "shared_store", lambda: store)

    async def no_kb(tracker: Tracker) -> list[dict[str, Any]]:
        return [{"faq_id": "refund-001", "question": "退款多久到账", "score": 0.71}]

    monkeypatch.setattr(handoff, "_kb_candidates", no_kb)
    return store


def user(text: str, intent: str, message_id: str, negative: float = 0.1) -> dict[str, Any]:
    sentiment = {"label": "negative" if negative > 0.5 else "neutral", "score": max(negative, 1 - negative),
                 "probabilities": {"negative": negative, "neutral": 1 - negative, "positive": 0.0}}
    return {"event": "user", "text": text, "message_id": message_id, "timestamp": 1_700_000_000.0,
            "parse_data": {"intent": {"name": intent}, "sentiment": sentiment}}


def tracker(slots: dict[str, Any], events: list[dict[str, Any]], intent: str = "", text: str = "",
            entities: list[dict[str, Any]] | None = None, sender: str = "cust-1") -> Tracker:
    latest = {"text": text, "intent": {"name": intent}, "entities": entities or [], "metadata": {}}
    return Tracker(sender_id=sender, slots={"language": "zh", **slots}, latest_message=latest,
                   events=[{"event": "action", "name": "action_listen"}, *events], paused=False,
                   followup_action=None, active_loop={}, latest_action_name="action_listen")


def run(action: Any, dispatcher: CollectingDispatcher, t: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
    return list(asyncio.run(action.run(dispatcher, t, domain)))


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") or m.get("text") for m in dispatcher.messages]


def slot(events: list[dict[str, Any]], name: str) -> Any:
    return next(e["value"] for e in events if e.get("event") == "slot" and e["name"] == name)


def test_with_an_agent_online_the_customer_joins_the_queue(store: DeskStore, domain: dict) -> None:
    agent = store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")
    store.set_presence(agent["id"], "online")
    history = [user("退款怎么还没到", "complain", "m1", negative=0.8), user("转人工", "request_human", "m2")]
    dispatcher = CollectingDispatcher()
    events = run(ActionHandoff(), dispatcher, tracker({"frustration": 0.6}, history, "request_human", "转人工"),
                 domain)
    escalation = store.active_for("cust-1")
    assert escalation is not None and escalation["status"] == "waiting" and escalation["trigger"] == "request"
    summary = escalation["summary"]
    assert summary["intent"] == "complain" and summary["kb_candidates"][0]["faq_id"] == "refund-001"
    assert summary["last_messages"][0]["sentiment"]["label"] == "negative"
    assert summary["sentiment_trend"] == [-0.8, -0.1]
    assert responses(dispatcher) == ["utter_queue_position"]
    assert dispatcher.messages[0]["ahead"] == 0 and dispatcher.messages[0]["eta"] == 5
    assert slot(events, "handoff_state") == "waiting"


def test_a_pushed_update_speaks_only_of_a_better_place(store: DeskStore, domain: dict) -> None:
    ahead, _ = store.create_escalation("ahead", channel="socketio", language="zh", tier="regular",
                                       trigger="frustration", reason="r", frustration=0.9, summary={})
    mine, _ = store.create_escalation("cust-1", channel="socketio", language="zh", tier="regular",
                                      trigger="request", reason="r", frustration=0.2, summary={})
    store.set_told_position(mine["id"], 2)
    waiting = tracker({"handoff_state": "waiting"}, [], "EXTERNAL_queue_update")
    dispatcher = CollectingDispatcher()
    assert run(ActionQueueStatus(), dispatcher, waiting, domain) == [] and dispatcher.messages == []  # still 2nd
    store.set_told_position(mine["id"], 1)  # told 1st (asked a moment ago), now 2nd: not pushed as news
    assert run(ActionQueueStatus(), dispatcher, waiting, domain) == [] and dispatcher.messages == []
    asked = CollectingDispatcher()
    run(ActionQueueStatus(), asked, tracker({"handoff_state": "waiting"}, [], "ask_queue_position"), domain)
    assert responses(asked) == ["utter_queue_position"] and asked.messages[0]["ahead"] == 1  # asked: the truth
    assert store.told_position(mine["id"]) == 2

    ann = store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")
    store.claim(ahead["id"], ann["id"])
    pushed = CollectingDispatcher()
    run(ActionQueueStatus(), pushed, waiting, domain)
    assert responses(pushed) == ["utter_queue_update"] and pushed.messages[0]["ahead"] == 0
    assert store.told_position(mine["id"]) == 1


def test_with_nobody_online_the_customer_may_leave_a_message(store: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker({"handoff_reason": "negative sentiment; threat", "frustration": 0.9}, [], "complain", "垃圾")
    events = run(ActionHandoff(), dispatcher, t, domain)
    assert responses(dispatcher) == ["utter_handoff_apology", "utter_no_agent_offer_ticket"]
    assert slot(events, "handoff_state") == "offer_ticket"
    assert store.active_for("cust-1") is None and store.last_for("cust-1")["status"] == "offline"
    assert store.last_for("cust-1")["trigger"] == "frustration"

    dispatcher = CollectingDispatcher()
    events = run(ActionLeaveTicket(), dispatcher, tracker({"handoff_state": "offer_ticket"}, [], "leave_message"),
                 domain)
    assert responses(dispatcher) == ["utter_ask_ticket_message"] and slot(events, "handoff_state") == "ticket_message"
    dispatcher = CollectingDispatcher()
    events = run(ActionLeaveTicket(), dispatcher, tracker({"handoff_state": "ticket_message"}, [], "complain",
                                                          "退款一直没到账"), domain)
    assert responses(dispatcher) == ["utter_ask_ticket_contact"] and slot(events, "ticket_message") == "退款一直没到账"
    dispatcher = CollectingDispatcher()
    waiting_contact = {"handoff_state": "ticket_contact", "ticket_message": "退款一直没到账"}
    run(ActionLeaveTicket(), dispatcher, tracker(waiting_contact, [], "nlu_fallback", "电话 138 0013 8000"), domain)
    [ticket] = store.tickets()
    # Stored as given; agents see the phone number masked until someone allowed to reveal it does.
    assert ticket["message"] == "退款一直没到账" and ticket["contact"] == "*** **** 8000" and ticket["masked"]
    assert store.reveal_ticket(ticket["id"], "ada", "call back")["contact"] == "138 0013 8000"
    assert responses(dispatcher) == ["utter_ticket_saved"] and dispatcher.messages[0]["ticket"] == ticket["id"]


def test_contacts_are_found_in_free_text() -> None:
    assert find_contact("call 13800138000 please") == "13800138000"
    assert find_contact("mail me: li.wei+shop@example.com") == "li.wei+shop@example.com"
    assert find_contact("+44 20 7946 0958 after 6pm") == "+44 20 7946 0958"
    assert find_contact("order KF20231123018 is late") is None or find_contact("my order is late") is None


def test_messages_during_the_hand_over_reach_the_desk_once(store: DeskStore, domain: dict) -> None:
    escalation, _ = store.create_escalation(
        "cust-1", channel="socketio", language="zh", tier="regular", trigger="request", reason="asked",
        frustration=0.2, summary={})
    before = [user("转人工", "request_human", "m0"), {"event": "action", "name": "action_handoff"}]
    # m1 arrived while the action server was down; m2 now: both are stored, m1 first.
    history = [*before, user("在吗", "greet", "m1"), user("我的订单 KF1 还没到", "check_order_status", "m2")]
    t = tracker({"handoff_state": "waiting", "frustration": 0.3}, history, "check_order_status", "我的订单 KF1 还没到")
    dispatcher = CollectingDispatcher()
    assert run(ActionRelayToAgent(), dispatcher, t, domain) == [] and dispatcher.messages == []
    run(ActionRelayToAgent(), CollectingDispatcher(), t, domain)  # a retry stores nothing twice
    messages = store.detail(escalation["id"])["messages"]
    assert [m["text"] for m in messages] == ["在吗", "我的订单 KF1 还没到"]
    assert messages[1]["frustration"] == 0.3 and messages[1]["sentiment"]["label"] == "neutral"


def test_agent_replies_are_spoken_once_then_the_survey(store: DeskStore, domain: dict) -> None:
    escalation, _ = store.create_escalation(
        "cust-1", channel="socketio", language="en", tier="regular", trigger="request", reason="asked",
        frustration=0.2, summary={})
    ann = store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")
    store.claim(escalation["id"], ann["id"])
    dispatcher = CollectingDispatcher()
    events = run(
        ActionQueueStatus(), dispatcher, tracker({"handoff_state": "waiting"}, [], "EXTERNAL_queue_update"), domain
    )
    assert responses(dispatcher) == ["utter_agent_joined"] and dispatcher.messages[0]["agent"] == "Ann"
    assert slot(events, "handoff_state") == "with_agent"

    message = store.add_agent_message(escalation["id"], ann["id"], "Hi, Ann here. Let me check.")
    entities = [{"entity": "desk_message_id", "value": str(message["id"])}]
    t = tracker({"handoff_state": "with_agent"}, [], "EXTERNAL_agent_reply", entities=entities)
    dispatcher = CollectingDispatcher()
    run(ActionRelayAgentReply(), dispatcher, t, domain)
    assert dispatcher.messages == [{**dispatcher.messages[0], "text": "Hi, Ann here. Let me check."}]
    assert dispatcher.messages[0]["agent_name"] == "Ann"
    again = CollectingDispatcher()
    run(ActionRelayAgentReply(), again, t, domain)
    assert again.messages == []  # redelivered by the desk: not said twice
    other = tracker({"handoff_state": "with_agent"}, [], "EXTERNAL_agent_reply", entities=entities, sender="intruder")
    intruder = CollectingDispatcher()
    run(ActionRelayAgentReply(), intruder, other, domain)
    assert intruder.messages == []  # another conversation's reply is never spoken here

    store.resolve(escalation["id"], ann["id"])
    dispatcher = CollectingDispatcher()
    events = run(
        ActionEndHandoff(), dispatcher, tracker({"handoff_state": "with_agent"}, [], "EXTERNAL_handoff_ended"), domain
    )
    assert responses(dispatcher) == ["utter_handoff_ended", "utter_ask_rating"]
    assert slot(events, "handoff_state") == "rating"

    dispatcher = CollectingDispatcher()
    rate = tracker(
        {"handoff_state": "rating"},
        [],
        "rate",
        '/rate{"csat_score": "4"}',
        entities=[{"entity": "csat_score", "value": "4"}],
    )
    events = run(ActionStoreRating(), dispatcher, rate, domain)
    assert responses(dispatcher) == ["utter_ask_nps"] and slot(events, "handoff_state") == "nps"
    dispatcher = CollectingDispatcher()
    events = run(ActionStoreNps(), dispatcher, tracker({"handoff_state": "nps"}, [], "nlu_fallback", "9"), domain)
    assert responses(dispatcher) == ["utter_ask_rating_comment"] and slot(events, "handoff_state") == "rating_comment"
    run(
        ActionStoreRatingComment(),
        CollectingDispatcher(),
        tracker({"handoff_state": "rating_comment"}, [], "thank", "Ann was quick, thanks"),
        domain,
    )
    [rating] = store.ratings()
    assert rating["score"] == 4 and rating["agent_id"] == ann["id"] and rating["comment"] == "Ann was quick, thanks"
    assert rating["nps"] == 9


def test_words_instead_of_a_recommendation_score_are_the_comment(store: DeskStore, domain: dict) -> None:
    store.record_rating("cust-1", 5)
    dispatcher = CollectingDispatcher()
    events = run(ActionStoreNps(), dispatcher, tracker({"handoff_state": "nps"}, [], "thank", "很耐心，谢谢"), domain)
    assert responses(dispatcher) == ["utter_thanks_feedback"] and slot(events, "handoff_state") is None
    [rating] = store.ratings()
    assert rating["nps"] is None and rating["comment"] == "很耐心，谢谢"
    button = tracker({"handoff_state": "nps"}, [], "rate", '/rate{"nps_score": "10"}',
                     entities=[{"entity": "nps_score", "value": "10"}])
    run(ActionStoreNps(), CollectingDispatcher(), button, domain)
    assert store.ratings()[0]["nps"] == 10


def test_nobody_online_in_service_hours_is_not_told_the_hours_but_after_hours_is(
    store: DeskStore, domain: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatcher = CollectingDispatcher()
    run(ActionHandoff(), dispatcher, tracker({}, [], "request_human", "转人工"), domain)
    [offer] = dispatcher.messages
    assert offer["response"] == "utter_no_agent_offer_ticket" and "hours" not in offer
    text = next(
        v["text"] for v in domain["responses"]["utter_no_agent_offer_ticket"] if v["condition"][0]["value"] == "zh"
    )
    assert "服务时间" not in text and "{hours}" not in text

    monkeypatch.setattr(handoff, "in_service_hours", lambda now, rules: False)
    dispatcher = CollectingDispatcher()
    run(ActionHandoff(), dispatcher, tracker({}, [], "request_human", "转人工", sender="cust-2"), domain)
    [closed] = dispatcher.messages
    assert closed["response"] == "utter_closed_offer_ticket" and closed["hours"].startswith("00:00-24:00")


def test_images_and_files_cross_the_hand_over_both_ways(store: DeskStore, domain: dict,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_PUBLIC_CONSOLE_URL", "https://kefu.example.com")
    get_settings.cache_clear()
    escalation, _ = store.create_escalation(
        "cust-1", channel="socketio", language="en", tier="regular", trigger="request", reason="asked",
        frustration=0.2, summary={})
    ann = store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")
    store.claim(escalation["id"], ann["id"])
    photo = check_upload("broken.png", image(), 100_000)
    store.add_attachment("cust-1", "customer", photo, "c" * 32, "cc/c.png")
    sent = {**user("[图片]", "nlu_fallback", "m9"), "metadata": {"attachment": "c" * 32}}
    t = tracker({"handoff_state": "with_agent"}, [{"event": "action", "name": "action_handoff"}, sent])
    run(ActionRelayToAgent(), CollectingDispatcher(), t, domain)
    relayed = store.detail(escalation["id"])["messages"]
    assert relayed[0]["text"] == "[图片]" and relayed[0]["attachment"]["filename"] == "broken.png"

    store.add_attachment("cust-1", "agent", check_upload("label.png", image(), 100_000), "a" * 32, "aa/a.png")
    store.add_attachment("cust-1", "agent", check_upload("guide.pdf", PDF, 100_000), "p" * 32, "pp/p.pdf")
    said = []
    for text, token in (("[label.png]", "a" * 32), ("How to return", "p" * 32)):
        message = store.add_agent_message(escalation["id"], ann["id"], text, attachment=token)
        entities = [{"entity": "desk_message_id", "value": str(message["id"])}]
        dispatcher = CollectingDispatcher()
        run(ActionRelayAgentReply(), dispatcher, tracker({"handoff_state": "with_agent"}, [], "EXTERNAL_agent_reply",
                                                         entities=entities), domain)
        said += dispatcher.messages
    get_settings.cache_clear()
    assert said[0]["image"] == "https://kefu.example.com/files/" + "a" * 32 and said[0]["text"] is None
    assert said[0]["agent_name"] == "Ann"
    assert said[1]["text"] == "How to return"
    assert said[1]["attachment"] == {"type": "file", "payload": {"url": "https://kefu.example.com/files/" + "p" * 32,
                                                                  "name": "guide.pdf"}}


def test_a_customer_taken_back_from_a_silent_agent_hears_who_has_them_now(store: DeskStore, domain: dict) -> None:
    escalation, _ = store.create_escalation(
        "cust-1", channel="socketio", language="zh", tier="regular", trigger="request", reason="asked",
        frustration=0.2, summary={})
    bo = store.create_agent("bo", display_name="Bo", role="agent", password_hash="x")
    store.claim(escalation["id"], bo["id"])
    told_ada = {"event": "bot", "text": "人工客服 Ada 已接入", "metadata": {"handoff": {"state": "with_agent",
                                                                                     "agent": "Ada"}}}
    t = tracker({"handoff_state": "with_agent"}, [told_ada], "EXTERNAL_queue_update")
    dispatcher = CollectingDispatcher()
    run(ActionQueueStatus(), dispatcher, t, domain)
    assert responses(dispatcher) == ["utter_agent_joined"] and dispatcher.messages[0]["agent"] == "Bo"
    told_bo = {**told_ada, "metadata": {"handoff": {"state": "with_agent", "agent": "Bo"}}}
    quiet = CollectingDispatcher()
    run(ActionQueueStatus(), quiet, tracker({"handoff_state": "with_agent"}, [told_ada, told_bo],
                                            "EXTERNAL_queue_update"), domain)
    assert quiet.messages == []  # told already
