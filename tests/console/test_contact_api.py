"""The contact profile: the customer's identities across channels, hand-overs, ratings, tickets, conversations with
the bot (Rasa's events) and the orders they mentioned, looked up in the order book."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from desk.store import DeskStore
from kefu.config import Settings
from kefu.db import make_engine
from kefu.tracker_events import EVENTS
from tests.console.conftest import sign_in


def handover(store: DeskStore, conversation: str, channel: str, summary: dict[str, Any]) -> dict[str, Any]:
    return store.create_escalation(conversation, channel=channel, language="zh", tier="vip", trigger="request",
                                   reason="asked", frustration=0.3, summary={"last_messages": [], **summary})[0]


def test_the_profile_gathers_the_customer_across_channels(app_and_rasa: Any, store: DeskStore,
                                                          settings: Settings) -> None:
    app, rasa = app_and_rasa
    ann_id = store.credentials("ann")[0]  # type: ignore[index]
    web = handover(store, "web-1", "socketio", {"customer_id": "u-42", "customer_name": "王芳",
                                                "last_messages": [{"role": "customer", "text": "订单 KF20231123018"}]})
    store.claim(web["id"], ann_id)
    store.resolve(web["id"], ann_id)
    store.record_rating("web-1", 4)
    store.add_rating_comment("web-1", "很快")
    store.create_ticket("wx-1", channel="wechat", language="zh", message="请回电", contact="13800138000")
    now = handover(store, "wx-1", "wechat", {"customer_id": "u-42", "order_number": "2023112300012345"})
    store.add_customer_message("wx-1", "还有一单 9999999999 呢", sentiment=None, frustration=None, source_id="m1")
    stranger = handover(store, "web-2", "socketio", {"customer_id": "u-7"})
    engine = make_engine(settings.tracker_url)
    EVENTS.metadata.create_all(engine)
    with engine.begin() as c:
        c.execute(insert(EVENTS), [
            {"sender_id": "web-1", "type_name": "session_started", "timestamp": 1_700_000_000.0},
            {"sender_id": "web-1", "type_name": "user", "timestamp": 1_700_000_001.0},
            {"sender_id": "wx-1", "type_name": "session_started", "timestamp": 1_700_100_000.0},
            {"sender_id": "wx-1", "type_name": "user", "timestamp": 1_700_100_005.0},
            {"sender_id": "web-2", "type_name": "user", "timestamp": 1_700_200_000.0}])
    engine.dispose()

    ann = sign_in(app, rasa, "ann")
    profile = ann.get(f"/api/escalations/{now['id']}/contact").json()
    assert (profile["customer_id"], profile["tier"]) == ("u-42", "vip")
    assert {(i["channel"], i["conversation_id"]) for i in profile["identities"]} == {("wechat", "wx-1"),
                                                                                    ("socketio", "web-1")}
    assert [(h["id"], h["current"]) for h in profile["handovers"]] == [(now["id"], True), (web["id"], False)]
    assert profile["handovers"][1]["agent"] == "Ann" and profile["handovers"][1]["status"] == "resolved"
    assert [(r["score"], r["comment"]) for r in profile["ratings"]] == [(4, "很快")]
    assert [t["message"] for t in profile["tickets"]] == ["请回电"]
    assert profile["activity"]["sessions"] == 2 and profile["activity"]["first_seen"].startswith("2023-11-14")
    orders = {o["number"]: o for o in profile["orders"]}
    assert orders["KF20231123018"]["status"] == "shipped" and orders["KF20231123018"]["carrier"] == "顺丰速运"
    assert orders["2023112300012345"]["status"] == "delivered"
    assert orders["9999999999"]["status"] == "unknown"  # not in the order book
    assert stranger["id"] not in [h["id"] for h in profile["handovers"]]  # another customer id
    alone = ann.get(f"/api/escalations/{stranger['id']}/contact").json()
    assert [i["conversation_id"] for i in alone["identities"]] == ["web-2"] and alone["orders"] == []
    assert ann.get("/api/escalations/9999/contact").status_code == 404
    assert sign_in(app, rasa, "olga").get(f"/api/escalations/{now['id']}/contact").status_code == 403
