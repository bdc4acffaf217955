"""The service dashboard on a seeded tracker, desk and review queue: every figure, the filters, CSV and the API."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update

from console.analytics import Dashboard, Filters
from console.api.routes import dashboard as dashboard_routes
from desk.db import Compensation, Escalation, Message, Rating
from desk.store import DeskStore
from kefu.compensation import Policy
from kefu.config import Settings
from kefu.tracker_events import TrackerEvents, TrackerUnavailableError
from knowledge_base.db import ReviewItem
from knowledge_base.review import ReviewQueue
from knowledge_base.store import KnowledgeStore
from tests.console.conftest import sign_in

# Rasa 3.6's SQLTrackerStore table, as Rasa creates it.
EVENTS_DDL = """
CREATE TABLE events (
    id INTEGER NOT NULL PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
)"""
START, END = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 4, tzinfo=UTC)
POLICY = Policy.parse("bot=10; agent=50; supervisor=500", "300/30d")


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=UTC)


class Tracker:
    """Rasa events for one customer, written the way the SQL tracker store writes them."""

    def __init__(self, rows: list[dict[str, Any]], sender: str, channel: str) -> None:
        self.rows, self.sender, self.channel = rows, sender, channel

    def _add(self, when: datetime, type_name: str, data: dict[str, Any], intent: str | None = None,
             action: str | None = None) -> Tracker:
        data = {"event": type_name, "timestamp": when.timestamp(), **data}
        self.rows.append({"sender_id": self.sender, "type_name": type_name, "timestamp": when.timestamp(),
                          "intent_name": intent, "action_name": action, "data": json.dumps(data)})
        return self

    def action(self, when: datetime, name: str) -> Tracker:
        return self._add(when, "action", {"name": name, "policy": None, "confidence": 1.0}, action=name)

    def session(self, when: datetime) -> Tracker:
        self.action(when, "action_session_start")._add(when, "session_started", {})
        return self.action(when, "action_listen")

    def user(self, when: datetime, words: str, label: str | None = None, intent: str = "ask_faq") -> Tracker:
        parse: dict[str, Any] = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": words}
        if label:
            parse["sentiment"] = {"label": label, "score": 0.9, "probabilities": {label: 0.9}}
        return self._add(when, "user", {"text": words, "parse_data": parse, "input_channel": self.channel,
                                        "message_id": f"{self.sender}-{when.timestamp()}", "metadata": {}},
                         intent=intent)

    def bot(self, when: datetime, utter: str, faq_id: str | None = None) -> Tracker:
        metadata = {"utter_action": utter, **({"faq_id": faq_id} if faq_id else {})}
        return self._add(when, "bot", {"text": utter, "data": {}, "metadata": metadata})

    def slot(self, when: datetime, name: str, value: Any) -> Tracker:
        return self._add(when, "slot", {"name": name, "value": value})

    def faq(self, when: datetime, utter: str, faq_id: str | None = None) -> Tracker:
        return self.action(when, "action_answer_faq").bot(when, utter, faq_id).action(when, "action_listen")


def seed_tracker(url: str) -> None:
    rows: list[dict[str, Any]] = []

    def conv(sender: str, channel: str) -> Tracker:
        return Tracker(rows, sender, channel)

    # c8 set English three weeks earlier, long before the window the dashboard reads.
    c8 = conv("c8", "socketio").session(at(20, 10, month=4)).slot(at(20, 10, month=4), "language", "en")
    c8.user(at(20, 10, 1, month=4), "hi", "neutral")
    # c5 started before the range and goes on into it: not counted.
    c5 = conv("c5", "socketio").session(at(30, 23, 30, month=4)).user(at(30, 23, 30, month=4), "hello", "negative")
    c5.user(at(1, 0, 10), "anyone?", "negative").faq(at(1, 0, 10, 1), "utter_faq_answer")
    # Day 1.
    c1 = conv("c1", "socketio").session(at(1, 9)).slot(at(1, 9), "language", "zh")
    c1.user(at(1, 9, 0, 2), "怎么退款", "neutral").faq(at(1, 9, 0, 3), "utter_faq_answer", "refund-1")
    c2 = conv("c2", "socketio").session(at(1, 10))
    c2.user(at(1, 10, 0, 1), "where is my refund", "negative").slot(at(1, 10, 0, 1), "language", "en")
    c2.faq(at(1, 10, 0, 2), "utter_faq_unknown")
    c2.user(at(1, 10, 1), "human please", "negative", "request_human").action(at(1, 10, 1, 1), "action_handoff")
    c2.bot(at(1, 10, 1, 1), "utter_queue_position")
    c6 = conv("c6", "socketio").session(at(1, 12)).user(at(1, 12), "/greet", "neutral", "greet")  # buttons only
    c6.bot(at(1, 12), "utter_greet")
    # Day 2.
    c3 = conv("c3", "wechat").session(at(2, 8)).slot(at(2, 8), "language", "zh")
    c3.user(at(2, 8, 1), "怎么退货", "positive").faq(at(2, 8, 1, 1), "utter_faq_clarify")
    c3.user(at(2, 8, 2), '/choose_faq{"faq_id": "returns"}', "neutral", "choose_faq")
    c3.action(at(2, 8, 2, 1), "action_answer_chosen_faq").bot(at(2, 8, 2, 1), "utter_faq_answer")
    c4 = conv("c4", "wechat").session(at(2, 11)).user(at(2, 11, 0, 1), "hi there", "positive")
    c4.slot(at(2, 11, 0, 1), "language", "en").faq(at(2, 11, 0, 2), "utter_faq_answer", "account-2")
    # Day 3: c4's second session (no language set in it: it keeps English), and more.
    c4.session(at(3, 13)).user(at(3, 13, 0, 1), "still broken", "negative").action(at(3, 13, 0, 2), "action_handoff")
    c7 = conv("c7", "socketio").session(at(3, 9)).user(at(3, 9, 0, 1), "订单在哪", "negative")  # no language: zh
    c7.action(at(3, 9, 0, 2), "action_answer_faq").bot(at(3, 9, 0, 2), "utter_faq_unavailable")
    # The next turn's answer comes from another action: it is no reply to the FAQ question above.
    c7.user(at(3, 9, 1), '/choose_faq{"faq_id": "orders"}', "neutral", "choose_faq")
    c7.action(at(3, 9, 1, 1), "action_answer_chosen_faq").bot(at(3, 9, 1, 1), "utter_faq_answer")
    c8.session(at(3, 14)).user(at(3, 14, 0, 1), "thanks", "positive").user(at(3, 14, 0, 5), "ok bye")
    c9 = conv("c9", "wechat").session(at(3, 16)).slot(at(3, 16), "language", "zh")
    c9.user(at(3, 16, 0, 1), "发票怎么开", "neutral").faq(at(3, 16, 0, 2), "utter_faq_clarify")
    c9.user(at(3, 16, 1), "电子发票", "neutral").faq(at(3, 16, 1, 1), "utter_faq_answer", "invoice-1")
    # After the range.
    conv("c10", "socketio").session(at(4, 0, 30)).user(at(4, 0, 30), "late", "negative")
    # c1 comes back five days later with the same question (a repeat inquiry); c4 came back about something else.
    c1.session(at(6, 9)).user(at(6, 9, 0, 1), "退款还没到", "negative")
    c1.faq(at(6, 9, 0, 2), "utter_faq_answer", "refund-1")
    c4.session(at(7, 9)).user(at(7, 9, 0, 1), "password?", "neutral").faq(at(7, 9, 0, 2), "utter_faq_answer", "pw-9")

    rows.sort(key=lambda r: r["timestamp"])  # the store appends as events happen
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(EVENTS_DDL))
        connection.execute(text("CREATE INDEX ix_events_sender_id ON events (sender_id)"))
        connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
                                "data) VALUES (:sender_id, :type_name, :timestamp, :intent_name, :action_name, "
                                ":data)"), rows)
    engine.dispose()


def seed_desk(store: DeskStore) -> None:
    ann = store.credentials("ann")
    assert ann is not None
    agent = ann[0]

    def escalate(conversation: str, channel: str, language: str, trigger: str, created: datetime,
                 status: str = "waiting") -> int:
        escalation, _ = store.create_escalation(
            conversation, channel=channel, language=language, tier="regular", trigger=trigger, reason="why",
            frustration=0.5, summary={}, status=status)
        with store.session() as s:
            s.execute(update(Escalation).where(Escalation.id == escalation["id"]).values(created_at=created))
        return int(escalation["id"])

    def handle(
        escalation_id: int, claimed: datetime, replies: list[datetime], ended: datetime, resolve: bool = True
    ) -> None:
        store.claim(escalation_id, agent)
        for when in replies:
            message = store.add_agent_message(escalation_id, agent, "hello")
            with store.session() as s:
                s.execute(update(Message).where(Message.id == message["id"]).values(created_at=when))
        if resolve:
            store.resolve(escalation_id, agent)
        else:
            store.cancel(store.get_escalation(escalation_id)["conversation_id"])
        with store.session() as s:
            s.execute(
                update(Escalation).where(Escalation.id == escalation_id).values(claimed_at=claimed, resolved_at=ended)
            )

    def rate(conversation: str, score: int, when: datetime, nps: int | None = None) -> None:
        rating = store.record_rating(conversation, score)
        if nps is not None:
            assert store.record_nps(conversation, nps)
        with store.session() as s:
            s.execute(update(Rating).where(Rating.id == rating["id"]).values(created_at=when))

    def compensate(conversation: str, key: str, kind: str, amount: float, role: str, when: datetime,
                   escalation_id: int | None = None) -> None:
        given, _ = store.compensate(POLICY, key=key, conversation_id=conversation, kind=kind, amount=amount,
                                    reason="seeded", actor=role, role=role, escalation_id=escalation_id)
        with store.session() as s:
            s.execute(update(Compensation).where(Compensation.id == given["id"]).values(created_at=when))

    e1 = escalate("c2", "socketio", "en", "request", at(1, 10, 5))
    handle(e1, at(1, 10, 7), [at(1, 10, 8)], at(1, 10, 17))
    rate("c2", 5, at(1, 10, 20), nps=10)
    e2 = escalate("c4", "wechat", "en", "frustration", at(3, 13, 5))
    handle(e2, at(3, 13, 15), [at(3, 13, 20), at(3, 13, 15, 30)], at(3, 13, 45))
    rate("c4", 2, at(3, 13, 50), nps=3)
    compensate("c4", "desk:c4-refund", "partial_refund", 30, "agent", at(3, 13, 40), e2)
    e3 = escalate("x1", "socketio", "zh", "failure", at(2, 12))
    handle(e3, at(2, 12, 1), [at(2, 12, 5)], at(2, 12, 30), resolve=False)
    escalate("x2", "wechat", "zh", "frustration", at(2, 15), status="offline")
    escalate("x3", "socketio", "zh", "request", at(3, 20))
    store.add_customer_message(
        "x3", "hello?", sentiment=None, frustration=None, source_id="x3-1"
    )  # a customer message is no response
    e6 = escalate("x4", "wechat", "zh", "request", at(30, 23, month=4))  # before the range; its rating is in it
    handle(e6, at(30, 23, 5, month=4), [at(30, 23, 6, month=4)], at(30, 23, 30, month=4))
    rate("x4", 4, at(1, 0, 10), nps=8)
    rate("c8", 3, at(3, 15), nps=6)  # no hand-over: c8's conversation says socketio, en
    compensate("c7", "late-order:KF1", "coupon", 10, "bot", at(3, 9, 2))  # no hand-over: socketio, zh
    compensate("c2", "desk:c2-big", "partial_refund", 200, "agent", at(1, 10, 16), e1)  # pending: not a cost
    compensate("x9", "desk:old", "coupon", 5, "agent", at(20, 9, month=4))  # before the range
    rate("ghost", 1, at(2, 9))  # no hand-over, no conversation: counts only unfiltered
    rate("ghost2", 5, at(5, 9))  # after the range


def seed_review(settings: Settings) -> None:
    kb = KnowledgeStore(settings.kb_url)
    queue = ReviewQueue(kb, embedder=None, threshold=0.9)  # type: ignore[arg-type]  # vectors are given
    items = [
        ([1, 0, 0], "怎么退货", "zh", "wechat", at(2, 8, 1)),
        ([1, 0, 0], "how do I return it", "en", "socketio", at(2, 9)),
        ([1, 0, 0], "退货流程", "zh", "wechat", at(3, 10)),
        ([0, 1, 0], "发票", "zh", "socketio", at(1, 11)),
        ([0, 1, 0], "invoice", "en", "socketio", at(3, 12)),
        ([0, 1, 0], "开发票", "zh", "wechat", at(20, 9, month=4)),
        ([0, 0, 1], "优惠券", "zh", "socketio", at(2, 10)),
    ]
    clusters = []
    for vector, words, lang, channel, when in items:
        item_id, cluster_id = queue.record(
            text=words,
            kind="unresolved",
            lang=lang,
            conversation_id="c",
            channel=channel,
            candidates=[],
            vector=np.array(vector, dtype=np.float32),
        )
        clusters.append(cluster_id)
        with kb.session() as s:
            s.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(created_at=when))
    assert len(set(clusters)) == 3
    queue.dismiss(clusters[-1], "olga")  # closed clusters are not shown


@pytest.fixture
def seeded(settings: Settings, store: DeskStore) -> Dashboard:
    seed_tracker(settings.tracker_url)
    seed_desk(store)
    seed_review(settings)
    return Dashboard(settings.tracker_url, settings.desk_url, settings.kb_url)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    return {f["key"]: f["value"] for f in report["figures"]}


def test_every_figure_on_a_known_set(seeded: Dashboard) -> None:
    report = seeded.report(Filters(START, END))
    assert [f["key"] for f in report["figures"]] == [
        "conversations",
        "containment_rate",
        "escalation_rate",
        "faq_questions",
        "answer_rate",
        "clarify_rate",
        "unresolved_rate",
        "negative_share",
        "csat_average",
        "csat_responses",
        "first_response_s",
        "queue_wait_s",
        "queue_wait_p90_s",
        "handle_time_s",
        "sla_breaches",
        "sla_met_rate",
        "nps",
        "nps_responses",
        "repeat_inquiry_rate",
        "complaint_handling_s",
        "compensation_cost",
    ]
    assert all(f["definition"].endswith(".") and len(f["definition"]) > 40 for f in report["figures"])
    assert figures(report) == {
        "conversations": 8,
        "containment_rate": 75.0,
        "escalation_rate": 25.0,
        "faq_questions": 6,
        "answer_rate": 50.0,
        "clarify_rate": 33.3,
        "unresolved_rate": 16.7,
        "negative_share": 40.0,
        "csat_average": 3.0,
        "csat_responses": 5,
        "first_response_s": 300.0,
        "queue_wait_s": 120.0,
        "queue_wait_p90_s": 504.0,
        "handle_time_s": 1200.0,
        "sla_breaches": 0,
        "sla_met_rate": 100.0,
        "nps": -25,  # 10, 8, 6, 3: one promoter, two detractors of four
        "nps_responses": 4,
        "repeat_inquiry_rate": 33.3,  # c1 of c1, c4, c9
        "complaint_handling_s": 1859.0,  # c2: 10:00:01 → 10:17 (1019 s); c4: 13:00:01 → 13:45 (2699 s)
        "compensation_cost": 40.0,  # c4's ¥30 and the bot's ¥10; the pending ¥200 is not a cost
    }
    assert report["nps"] == {"score": -25, "responses": 4, "promoters": 1, "passives": 1, "detractors": 2,
                             "trend": [{"bucket": "2024-05-01T00:00:00+00:00", "score": 50, "promoters": 1,
                                        "passives": 1, "detractors": 0},
                                       {"bucket": "2024-05-02T00:00:00+00:00", "score": None, "promoters": 0,
                                        "passives": 0, "detractors": 0},
                                       {"bucket": "2024-05-03T00:00:00+00:00", "score": -100, "promoters": 0,
                                        "passives": 0, "detractors": 2}]}
    assert [(r["reason"], r["count"], r["value"]) for r in report["compensation"]["by_reason"]] == [
        ("agent", 1, 30.0), ("late_order", 1, 10.0)]
    assert report["filters"] == {
        "start": START.isoformat(),
        "end": END.isoformat(),
        "channel": None,
        "language": None,
        "label": None,
        "bucket": "day",
    }
    assert [{"reason": r["reason"], "count": r["count"]} for r in report["escalation_reasons"]] == [
        {"reason": "frustration", "count": 2},
        {"reason": "request", "count": 2},
        {"reason": "failure", "count": 1},
        {"reason": "no agent available", "count": 1},
    ]
    assert report["escalation_reasons"][1]["label"] == "the customer asked for a person"
    assert report["decisions"] == {"answer": 3, "clarify": 2, "unresolved": 1}
    assert report["sentiment"]["distribution"] == {"negative": 4, "neutral": 3, "positive": 3}
    assert report["sentiment"]["trend"] == [
        {"bucket": "2024-05-01T00:00:00+00:00", "negative": 2, "neutral": 1, "positive": 0},
        {"bucket": "2024-05-02T00:00:00+00:00", "negative": 0, "neutral": 0, "positive": 2},
        {"bucket": "2024-05-03T00:00:00+00:00", "negative": 2, "neutral": 2, "positive": 1},
    ]
    assert report["csat"] == {"average": 3.0, "responses": 5, "distribution": {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1}}
    assert report["conversations_trend"] == [
        {"bucket": "2024-05-01T00:00:00+00:00", "conversations": 2, "escalated": 1},
        {"bucket": "2024-05-02T00:00:00+00:00", "conversations": 2, "escalated": 0},
        {"bucket": "2024-05-03T00:00:00+00:00", "conversations": 4, "escalated": 1},
    ]
    returns, invoices = report["top_clusters"]
    assert {k: returns[k] for k in ("count", "total", "example", "langs", "channels", "last_seen")} == {
        "count": 3,
        "total": 3,
        "example": "退货流程",
        "langs": {"zh": 2, "en": 1},
        "channels": {"wechat": 2, "socketio": 1},
        "last_seen": at(3, 10).isoformat(),
    }
    assert (invoices["count"], invoices["total"], invoices["example"]) == (2, 3, "invoice")
    assert report["channels"] == ["socketio", "wechat"] and report["languages"] == ["en", "zh"]
    json.dumps(report)  # JSON-ready


def test_channel_and_language_filters(seeded: Dashboard) -> None:
    wechat = seeded.report(Filters(START, END, channel="wechat"))
    assert figures(wechat) == {
        "conversations": 4,
        "containment_rate": 75.0,
        "escalation_rate": 25.0,
        "faq_questions": 4,
        "answer_rate": 50.0,
        "clarify_rate": 50.0,
        "unresolved_rate": 0.0,
        "negative_share": 20.0,
        "csat_average": 3.0,
        "csat_responses": 2,
        "first_response_s": 630.0,
        "queue_wait_s": 600.0,
        "queue_wait_p90_s": 600.0,
        "handle_time_s": 1800.0,
        "sla_breaches": 0,
        "sla_met_rate": 100.0,
        "nps": -50,  # c4's 3 and x4's 8
        "nps_responses": 2,
        "repeat_inquiry_rate": 0.0,  # c4 and c9 asked again only about something else, or in the same visit
        "complaint_handling_s": 2699.0,
        "compensation_cost": 30.0,
    }
    assert [(r["reason"], r["count"]) for r in wechat["escalation_reasons"]] == [
        ("frustration", 2),
        ("no agent available", 1),
    ]
    assert [c["count"] for c in wechat["top_clusters"]] == [2]
    assert wechat["channels"] == ["socketio", "wechat"]  # the drop-down keeps every value

    english = seeded.report(Filters(START, END, language="en"))
    values = figures(english)
    assert (values["conversations"], values["escalation_rate"], values["faq_questions"]) == (4, 50.0, 2)
    assert (values["unresolved_rate"], values["negative_share"]) == (50.0, 60.0)
    # Ratings of c2 and c4's hand-overs, and c8's (no hand-over: its conversation is English).
    assert (values["csat_average"], values["csat_responses"]) == (3.33, 3)
    assert (values["first_response_s"], values["queue_wait_s"], values["queue_wait_p90_s"]) == (405.0, 360.0, 552.0)
    assert (values["nps"], values["nps_responses"], values["complaint_handling_s"]) == (-33, 3, 1859.0)
    assert [(c["example"], c["count"]) for c in english["top_clusters"]] == [("invoice", 1), ("how do I return it", 1)]

    chinese = seeded.report(Filters(START, END, channel="socketio", language="zh"))
    values = figures(chinese)
    assert (values["conversations"], values["faq_questions"], values["answer_rate"]) == (2, 1, 100.0)  # c1, c7
    assert values["csat_responses"] == 0 and values["csat_average"] is None
    assert values["handle_time_s"] is None and values["queue_wait_s"] == 60.0
    assert (values["compensation_cost"], values["repeat_inquiry_rate"], values["nps"]) == (10.0, 100.0, None)
    assert [r["reason"] for r in chinese["escalation_reasons"]] == ["failure", "request"]


def test_short_ranges_are_hourly(seeded: Dashboard) -> None:
    report = seeded.report(Filters(at(3, 8, 30), at(3, 14, 30)))
    assert report["filters"]["bucket"] == "hour"
    trend = report["conversations_trend"]
    assert [p["bucket"][11:16] for p in trend] == ["08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00"]
    assert [p["conversations"] for p in trend] == [0, 1, 0, 0, 0, 1, 1]
    assert figures(report)["conversations"] == 3  # c7, c4's second session, c8


def test_an_empty_database_gives_zeros(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path / "empty", rasa_token="test-token")
    report = Dashboard(settings.tracker_url, settings.desk_url, settings.kb_url).report(Filters(START, END))
    values = figures(report)
    counts = ("conversations", "faq_questions", "csat_responses", "sla_breaches", "nps_responses",
              "compensation_cost")
    assert all(values[k] == 0 for k in counts)
    assert all(values[k] is None for k in values if k not in counts)
    assert report["escalation_reasons"] == [] and report["top_clusters"] == []
    assert [p["conversations"] for p in report["conversations_trend"]] == [0, 0, 0]
    assert report["csat"]["distribution"] == {str(n): 0 for n in range(1, 6)}


def test_filters_refuse_naive_or_empty_ranges() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Filters(datetime(2024, 5, 1), END)
    with pytest.raises(ValueError, match="before"):
        Filters(END, START)


def test_csv_has_every_figure_and_section(seeded: Dashboard) -> None:
    filters = Filters(START, END)
    rows = list(csv.DictReader(io.StringIO(seeded.csv(filters))))
    assert list(rows[0]) == ["section", "key", "label", "value", "unit", "definition"]
    report = seeded.report(filters)
    figure_rows = [r for r in rows if r["section"] == "figure"]
    assert [(r["key"], r["value"], r["definition"]) for r in figure_rows] == [
        (f["key"], str(f["value"]), f["definition"]) for f in report["figures"]
    ]
    sections = {r["section"] for r in rows}
    assert {
        "escalation_reason",
        "decision",
        "sentiment",
        "csat",
        "trend",
        "sentiment_trend",
        "top_cluster",
        "nps",
        "nps_trend",
        "compensation",
        "filter",
    } <= sections
    trend = {(r["key"], r["label"]): r["value"] for r in rows if r["section"] == "trend"}
    assert trend[("2024-05-03T00:00:00+00:00", "conversations")] == "4"
    assert any(r["label"] == "退货流程" for r in rows)


def test_labels_and_definitions_in_chinese(seeded: Dashboard) -> None:
    english, chinese = seeded.report(Filters(START, END)), seeded.report(Filters(START, END), "zh")
    assert [f["value"] for f in chinese["figures"]] == [f["value"] for f in english["figures"]]
    labels = {f["key"]: f["label"] for f in chinese["figures"]}
    assert labels["containment_rate"] == "自助解决率" and labels["csat_average"] == "满意度（CSAT）"
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in f["definition"]) for f in chinese["figures"])
    assert chinese["escalation_reasons"][1]["label"] == "客户要求转人工"
    assert "按触发原因分组" in chinese["escalation_reasons_definition"]
    assert "自助解决率" in seeded.csv(Filters(START, END), "zh")


@pytest.fixture
def app(app_and_rasa: Any, seeded: Dashboard) -> Any:
    app = app_and_rasa[0]
    if not any(getattr(route, "path", "") == "/api/dashboard" for route in app.routes):
        app.include_router(dashboard_routes.router)  # until console/main.py registers it
    return app


def test_the_api_is_for_ops_staff(app: Any, app_and_rasa: Any) -> None:
    rasa = app_and_rasa[1]
    assert TestClient(app).get("/api/dashboard").status_code == 401
    assert sign_in(app, rasa, "ann").get("/api/dashboard").status_code == 403
    olga = sign_in(app, rasa, "olga")
    resp = olga.get("/api/dashboard", params={"start": "2024-05-01", "end": "2024-05-03"})
    assert resp.status_code == 200
    assert resp.json()["filters"]["end"] == END.isoformat()  # a date-only end includes that day
    assert figures(resp.json())["conversations"] == 8
    wechat = olga.get("/api/dashboard", params={"start": "2024-05-01", "end": "2024-05-03", "channel": "wechat"})
    assert figures(wechat.json())["conversations"] == 4
    naive = olga.get("/api/dashboard", params={"start": "2024-05-03T08:30", "end": "2024-05-03T14:30:00Z"})
    assert naive.json()["filters"]["bucket"] == "hour" and figures(naive.json())["conversations"] == 3
    default = olga.get("/api/dashboard").json()
    assert default["filters"]["bucket"] == "day" and len(default["conversations_trend"]) == 8

    csv_resp = olga.get("/api/dashboard.csv", params={"start": "2024-05-01", "end": "2024-05-03"})
    assert csv_resp.status_code == 200 and csv_resp.headers["content-type"].startswith("text/csv")
    assert csv_resp.headers["content-disposition"] == 'attachment; filename="kefu-dashboard-2024-05-01-2024-05-03.csv"'
    assert csv_resp.text.startswith("section,key,label,value,unit,definition")
    assert sign_in(app, rasa, "ann").get("/api/dashboard.csv").status_code == 403

    # The seeded data is from 2024: nobody is at risk in the last 30 days, and the list says how it is made.
    risk = olga.get("/api/dashboard/at-risk", params={"lang": "zh"})
    assert risk.status_code == 200 and risk.json()["customers"] == [] and "风险分" in risk.json()["definition"]
    assert olga.get("/api/dashboard/at-risk", params={"days": 0}).status_code == 422
    risk_csv = olga.get("/api/dashboard/at-risk.csv", params={"days": 7})
    assert risk_csv.text.startswith("customer,score,reasons")
    assert risk_csv.headers["content-type"].startswith("text/csv")
    assert sign_in(app, rasa, "ann").get("/api/dashboard/at-risk").status_code == 403


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start": "yesterday"}, "ISO date"),
        ({"start": "2024-05-01", "end": "2024-13-01"}, "ISO date"),
        ({"start": "2024-05-03", "end": "2024-05-01"}, "before"),
        ({"start": "2024-05-01T10:00Z", "end": "2024-05-01T10:00Z"}, "before"),
        ({"start": "2023-01-01", "end": "2024-05-01"}, "limit is 366"),
    ],
)
def test_bad_ranges_are_refused(app: Any, app_and_rasa: Any, params: dict[str, str], message: str) -> None:
    olga = sign_in(app, app_and_rasa[1], "olga")
    for path in ("/api/dashboard", "/api/dashboard.csv"):
        resp = olga.get(path, params=params)
        assert resp.status_code == 422 and message in resp.json()["detail"]


# A closed port on loopback: PostgreSQL refusing connections, as during a restart in the cluster profile.
DOWN = "postgresql+psycopg://kefu:kefu@127.0.0.1:9/kefu"


@pytest.mark.parametrize(
    "which, message",
    [
        ("tracker", "Rasa's conversation store is unavailable"),
        ("desk", "the desk's database is unavailable"),
        ("kb", "the knowledge base's database is unavailable"),
    ],
)
def test_an_unavailable_database_is_an_honest_503(app: Any, app_and_rasa: Any, settings: Settings, which: str,
                                                  message: str) -> None:
    olga = sign_in(app, app_and_rasa[1], "olga")
    if which == "tracker":  # Rasa's store down while the desk's tables (elsewhere) answer
        app.state.dashboard = Dashboard(settings.tracker_url, settings.desk_url, settings.kb_url)
        app.state.dashboard.tracker = TrackerEvents(DOWN)
    else:  # the dashboard is built on first use, when the database is already down
        app.state.dashboard = None
        down = {"desk": {"database_url": DOWN, "kb_database_url": settings.kb_url}, "kb": {"kb_database_url": DOWN}}
        app.state.settings = settings.model_copy(update=down[which])
    for path in ("/api/dashboard", "/api/dashboard.csv"):
        resp = olga.get(path, params={"start": "2024-05-01", "end": "2024-05-03"})
        assert resp.status_code == 503 and resp.json()["detail"].startswith(message), resp.text
    # Back up: the next request is served, the dashboard built then if it could not be before.
    app.state.settings, app.state.dashboard = settings, None
    resp = olga.get("/api/dashboard", params={"start": "2024-05-01", "end": "2024-05-03"})
    assert figures(resp.json())["conversations"] == 8


def test_tracker_events_stream_the_window_in_stored_order(settings: Settings) -> None:
    seed_tracker(settings.tracker_url)
    events = TrackerEvents(settings.tracker_url)
    start, end = START.timestamp(), END.timestamp()
    rows = list(events.in_window(start, end, types=("user",), actions=()))
    assert rows and all(r.type_name == "user" and start <= r.timestamp < end for r in rows)
    everything = list(events.in_window(0, 1e12, types=("user", "bot", "slot"), actions=("action_session_start",)))
    assert [r.timestamp for r in everything if r.sender_id == rows[0].sender_id] == sorted(
        r.timestamp for r in everything if r.sender_id == rows[0].sender_id)
    assert list(TrackerEvents(f"sqlite:///{settings.data_dir}/none.db").in_window(0, 1e12, ("user",), ())) == []
    with pytest.raises(TrackerUnavailableError, match="Rasa's conversation store is unavailable"):
        list(TrackerEvents(DOWN).in_window(0, 1e12, ("user",), ()))
    # One conversation's every session (the bot's memory of a returning customer), decoded, oldest first.
    c4 = events.history("c4", since=START.timestamp())
    assert [e["text"] for e in c4 if e["event"] == "user"] == ["hi there", "still broken", "password?"]
    assert [e["text"] for e in events.history("c4", START.timestamp(), before=at(3, 0).timestamp())
            if e["event"] == "user"] == ["hi there"]
    assert [e["event"] for e in events.history("c4", START.timestamp(), limit=2)] == ["bot", "action"]
    assert TrackerEvents(f"sqlite:///{settings.data_dir}/none.db").history("c4", 0) == []


def test_a_label_narrows_the_report_to_its_hand_overs_and_their_customers(seeded: Dashboard, store: DeskStore) -> None:
    refund = next(label["id"] for label in store.labels() if label["name"] == "refund")
    c4 = next(e for e in seeded.desk.escalations_between(START, END) if e.conversation_id == "c4")
    store.set_labels(c4.id, store.credentials("ann")[0], [refund])  # type: ignore[index]
    everything = seeded.report(Filters(START, END))
    assert {label["name"]: label["count"] for label in everything["labels"]}["refund"] == 1
    report = seeded.report(Filters(START, END, label=refund))
    assert report["filters"]["label"] == refund
    assert [(r["reason"], r["count"]) for r in report["escalation_reasons"]] == [("frustration", 1)]
    values = figures(report)
    assert values["conversations"] == 2  # c4's two conversations in the range
    assert values["escalation_rate"] == 50.0
    assert (values["csat_average"], values["csat_responses"]) == (2.0, 1)  # only c4's rating
    assert values["queue_wait_s"] == 600.0
    assert "label," + str(refund) + ",refund,1,count" in seeded.csv(Filters(START, END))


def test_sla_breaches_are_counted_for_the_hand_overs_in_the_range(seeded: Dashboard, store: DeskStore) -> None:
    # x3 still waits, days after its deadlines: no first response and no resolution (the others ended in time).
    found = store.check_sla()
    assert sorted(b["kind"] for b in found) == ["first_response", "resolution"]
    assert store.check_sla() == []  # each deadline is recorded once
    values = figures(seeded.report(Filters(START, END)))
    assert (values["sla_breaches"], values["sla_met_rate"]) == (2, 75.0)  # 3 of the 4 hand-overs that queued
    wechat = figures(seeded.report(Filters(START, END, channel="wechat")))
    assert (wechat["sla_breaches"], wechat["sla_met_rate"]) == (0, 100.0)


def test_customers_at_risk_on_a_known_set(seeded: Dashboard, store: DeskStore) -> None:
    for frustration, when in ((0.3, at(2, 9)), (0.8, at(3, 9))):  # the same shop customer, angrier the second time
        escalation, _ = store.create_escalation(
            f"risky-{when.day}", channel="wechat", language="zh", tier="regular", trigger="frustration",
            reason="why", frustration=frustration, summary={})
        store.cancel(f"risky-{when.day}")
        with store.session() as s:
            s.execute(update(Escalation).where(Escalation.id == escalation["id"])
                      .values(created_at=when, customer_key="shop-77"))
    report = seeded.at_risk(END, days=10)
    rows = [(c["customer"], c["score"], c["reasons"]) for c in report["customers"]]
    assert rows == [
        # 40 × 0.8 + 15 (a second complaint) + 15 (rising)
        ("shop-77", 62, ["frustration rising", "2 complaints"]),
        ("c4", 50, ["1 low rating(s)", "would not recommend us"]),  # 40 × 0.5 + 20 + 10
        ("ghost", 20, ["1 low rating(s)"]),
        ("c8", 10, ["would not recommend us"]),
    ]
    shop = report["customers"][0]
    assert shop["conversations"] == ["risky-2", "risky-3"] and shop["link"] == f"/desk#{shop['escalation_id']}"
    assert report["definition"].startswith("Customers") and seeded.at_risk(END, 10, "zh")["customers"][0][
        "reasons"] == ["不满上升", "投诉 2 次"]
