"""The hand-over summary an agent reads first, and the values the desk's canned replies fill from it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.clients.desk import summary


def user(text: str, intent: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": 1.0, "metadata": metadata or {},
            "parse_data": {"intent": {"name": intent}, "sentiment": {"label": "neutral", "score": 0.9}}}


def tracker(events: list[dict[str, Any]], slots: dict[str, Any] | None = None) -> Tracker:
    return Tracker(sender_id="c1", slots={"language": "zh", **(slots or {})}, latest_message=events[-1],
                   events=events, paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


def test_the_summary_names_the_customer_and_their_order() -> None:
    events = [user("我的订单ｋｆ２０２３１１２３０１８发货了吗", "order_status", {"customer_name": " 王芳\u0007 "}),
              {"event": "bot", "text": "已发货", "timestamp": 2.0},
              user("转人工", "request_human")]
    got = summary(tracker(events), [])
    assert got["customer_name"] == "王芳"  # trimmed, control characters dropped, from an earlier message's metadata
    assert got["order_number"] == "KF20231123018"  # full-width digits normalised, as the order form does
    assert got["intent"] == "order_status"


def test_the_order_forms_slot_wins_and_nothing_is_made_up() -> None:
    events = [user("订单 2023112300012345", "order_status"), user("转人工", "request_human")]
    assert summary(tracker(events, {"order_number": "KF20231120007"}), [])["order_number"] == "KF20231120007"
    bare = summary(tracker([user("转人工", "request_human", {"customer_name": 42})]), [])
    assert bare["customer_name"] is None and bare["order_number"] is None


def test_the_brief_says_what_the_customer_wants_what_the_bot_tried_and_the_mood() -> None:
    def bot(response: str) -> dict[str, Any]:
        return {"event": "bot", "text": "…", "timestamp": 2.0, "metadata": {"utter_action": response}}

    def said(text: str, intent: str, positive: float, negative: float) -> dict[str, Any]:
        event = user(text, intent)
        event["parse_data"]["sentiment"] = {"label": "x", "probabilities": {"positive": positive, "negative": negative}}
        return event

    events = [said("发票怎么开", "ask_question", 0.6, 0.1), bot("utter_faq_clarify"),
              said("电子发票", "ask_question", 0.3, 0.2), bot("utter_faq_answer"),
              said("订单KF20231123018呢", "check_order_status", 0.1, 0.5), bot("utter_order_status_shipped"),
              said("太慢了，转人工", "request_human", 0.0, 0.9)]
    brief = summary(tracker(events), [])["brief"]
    assert brief["wants"] == "订单KF20231123018呢"  # the last message that says what the problem is
    assert brief["tried"] == {"clarifications": 1, "faq_answers": 1, "order_lookups": 1}
    assert brief["mood"] == "worse"
    assert summary(tracker([user("转人工", "request_human")]), [])["brief"] == {"wants": None, "tried": {},
                                                                              "mood": None}
