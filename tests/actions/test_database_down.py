"""A database outage mid-conversation: every action answers honestly (never silence) and writes nothing half-way."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

import actions.faq as faq
from actions.clients import kb as kb_client
from actions.handoff import (
    ActionCancelHandoff,
    ActionEndHandoff,
    ActionHandoff,
    ActionQueueStatus,
    ActionRelayAgentReply,
    ActionRelayToAgent,
)
from actions.satisfaction import ActionStoreRating, ActionStoreRatingComment
from actions.tickets import ActionLeaveTicket
from desk.store import DeskStore
from knowledge_base import service
from knowledge_base.store import KnowledgeStore
from tests.actions.conftest import make_tracker
from tests.actions.test_handoff import responses, run, slot, store, tracker, user  # noqa: F401  (fixture)
from tests.knowledge_base.conftest import embedder, kb_settings, settings  # noqa: F401  (fixtures)


def take_down(db: DeskStore | KnowledgeStore, tmp_path: Path) -> None:
    """From now on the store's database cannot be opened (its file would live under a regular file)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    db._sessions = sessionmaker(create_engine(f"sqlite:///{blocker}/down.db"), expire_on_commit=False)


@pytest.fixture
def down(store: DeskStore, tmp_path: Path) -> DeskStore:  # noqa: F811
    take_down(store, tmp_path)
    return store


def test_handoff_says_the_desk_is_unreachable(down: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    events = run(ActionHandoff(), dispatcher, tracker({}, [], "request_human", "转人工"), domain)
    assert responses(dispatcher) == ["utter_human_unavailable"]
    assert all(e["name"] != "handoff_state" for e in events)


def test_queue_status_asked_gets_an_honest_reply_and_a_push_stays_quiet(down: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    assert run(ActionQueueStatus(), dispatcher, tracker({"handoff_state": "waiting"}, [], "ask_queue_position",
                                                        "还要等多久"), domain) == []
    assert responses(dispatcher) == ["utter_desk_unavailable"]
    dispatcher = CollectingDispatcher()
    run(ActionQueueStatus(), dispatcher, tracker({"handoff_state": "waiting"}, [], "EXTERNAL_queue_update"), domain)
    assert responses(dispatcher) == []


def test_cancel_keeps_the_customer_queued_and_says_so(down: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    events = run(ActionCancelHandoff(), dispatcher, tracker({"handoff_state": "waiting"}, [], "cancel_handoff",
                                                            "不等了"), domain)
    assert responses(dispatcher) == ["utter_desk_unavailable"] and events == []


def test_a_message_for_the_agent_that_cannot_be_relayed_is_announced_then_backfilled(
        store: DeskStore, domain: dict, tmp_path: Path) -> None:  # noqa: F811
    agent = store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")
    store.set_presence(agent["id"], "online")
    run(ActionHandoff(), CollectingDispatcher(), tracker({}, [], "request_human", "转人工"), domain)
    working = store._sessions
    take_down(store, tmp_path)
    history = [user("转人工", "request_human", "m1"), {"event": "action", "name": "action_handoff"},
               user("订单号是 123456", "inform", "m2")]
    dispatcher = CollectingDispatcher()
    events = run(ActionRelayToAgent(), dispatcher, tracker({"handoff_state": "waiting"}, history, "inform",
                                                           "订单号是 123456"), domain)
    assert responses(dispatcher) == ["utter_relay_failed"] and events == []
    store._sessions = working  # back up: the next message takes the missed one along
    history.append(user("在吗", "greet", "m3"))
    run(ActionRelayToAgent(), CollectingDispatcher(), tracker({"handoff_state": "waiting"}, history, "greet", "在吗"),
        domain)
    escalation = store.active_for("cust-1")
    assert escalation is not None
    texts = [m["text"] for m in store.detail(escalation["id"])["messages"] if m["role"] == "customer"]
    assert texts == ["订单号是 123456", "在吗"]


def test_an_agent_reply_that_cannot_be_read_is_announced_as_delayed(down: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    run(ActionRelayAgentReply(), dispatcher, tracker({"handoff_state": "with_agent"}, [], "EXTERNAL_agent_reply",
                                                     entities=[{"entity": "desk_message_id", "value": "7"}]), domain)
    assert responses(dispatcher) == ["utter_agent_reply_delayed"]


def test_the_end_of_a_handoff_is_still_told_without_the_survey(down: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    events = run(ActionEndHandoff(), dispatcher, tracker({"handoff_state": "with_agent"}, [],
                                                         "EXTERNAL_handoff_ended"), domain)
    assert responses(dispatcher) == ["utter_handoff_ended"] and slot(events, "handoff_state") is None


def test_a_ticket_that_cannot_be_saved_is_kept_for_a_retry(down: DeskStore, domain: dict) -> None:
    dispatcher = CollectingDispatcher()
    waiting_contact = {"handoff_state": "ticket_contact", "ticket_message": "退款一直没到账"}
    events = run(ActionLeaveTicket(), dispatcher, tracker(waiting_contact, [], "nlu_fallback", "138 0013 8000"),
                 domain)
    assert responses(dispatcher) == ["utter_ticket_not_saved"]
    assert slot(events, "ticket_message") == "退款一直没到账" and slot(events, "handoff_state") == "ticket_contact"


@pytest.mark.parametrize(("action", "state", "text"), [
    (ActionStoreRating(), "rating", "5"), (ActionStoreRatingComment(), "rating_comment", "很快，谢谢")])
def test_a_rating_that_cannot_be_saved_is_thanked_honestly(down: DeskStore, domain: dict, action: Any, state: str,
                                                           text: str) -> None:
    dispatcher = CollectingDispatcher()
    events = run(action, dispatcher, tracker({"handoff_state": state}, [], "rate", text), domain)
    assert responses(dispatcher) == ["utter_rating_not_saved"] and slot(events, "handoff_state") is None


@pytest.fixture
def kb_down(kb_settings, monkeypatch, tmp_path: Path):  # noqa: F811
    """The knowledge base searches as usual, but its database (the review queue's) is down."""
    queue = service.review_queue(kb_settings)
    take_down(queue.store, tmp_path)
    monkeypatch.setattr(kb_client, "knowledge_base", lambda: service.knowledge_base(kb_settings))
    monkeypatch.setattr(kb_client, "review_queue", lambda: queue)
    return kb_settings


def _faq(action: Any, domain: dict, **tracker_args: Any) -> list[str]:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, make_tracker(**tracker_args), domain))
    return [m.get("response") or m.get("text") for m in dispatcher.messages]


def test_a_question_whose_review_row_cannot_be_written_gets_the_help_centre_reply(kb_down, domain: dict) -> None:
    # The offered choices were ignored: the earlier question is queued first, and that write fails.
    assert _faq(faq.ActionAnswerFaq(), domain, text="退货的邮费谁来出",
                slots={"kb_pending_question": "退款和退货运费"}) == ["utter_faq_unavailable"]


def test_rejected_choices_still_get_the_honest_unknown(kb_down, domain: dict) -> None:
    assert _faq(faq.ActionRejectFaqChoices(), domain, text="/reject_choices", intent="reject_choices",
                slots={"kb_pending_question": "退款和退货运费"}) == ["utter_faq_unknown"]


def test_not_helpful_feedback_still_gets_the_apology(kb_down, domain: dict) -> None:
    assert _faq(faq.ActionRecordFaqFeedback(), domain, text="/feedback_unhelpful", intent="feedback_unhelpful",
                slots={"kb_last_faq_id": "returns-fee", "kb_last_question": "退货的邮费谁来出"}) == [
        "utter_feedback_sorry"]


def test_off_topic_is_still_declined(kb_down, domain: dict) -> None:
    assert _faq(faq.ActionDeclineOffTopic(), domain, text="给我写首诗") == ["utter_out_of_scope"]
