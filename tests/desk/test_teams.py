"""Teams: hand-overs routed by category, assigned to the team's members while one is there, to anyone otherwise."""

from __future__ import annotations

import pytest

from desk.errors import ConflictError, InvalidInputError, NotFoundError
from desk.store import DeskStore
from tests.desk.test_assignment import agent, holder


def handover(store: DeskStore, conversation: str, summary: dict) -> dict:
    escalation, _ = store.create_escalation(conversation, channel="socketio", language="zh", tier="regular",
                                            trigger="request", reason="asked", frustration=0.2,
                                            summary={"last_messages": [], **summary})
    return escalation


def team_id(store: DeskStore, name: str) -> int:
    return next(int(t["id"]) for t in store.teams() if t["name"] == name)


def test_the_category_of_the_last_question_or_the_intent_picks_the_team(store: DeskStore) -> None:
    invoice = handover(store, "c1", {"kb_candidates": [{"faq_id": "inv-1", "category": "invoices", "score": 0.9}],
                                     "intent": "ask_question"})
    assert invoice["category"] == "invoices" and invoice["team"]["name"] == "Invoices & payment"
    order = handover(store, "c2", {"kb_candidates": [], "intent": "check_order_status"})
    assert (order["category"], order["team"]["name"]) == ("check_order_status", "Orders & shipping")
    other = handover(store, "c3", {"kb_candidates": [{"faq_id": "p", "category": "privacy"}], "intent": None})
    assert other["category"] == "privacy" and other["team"] is None  # no team covers it: anyone
    assert handover(store, "c4", {})["team"] is None


def test_a_teams_members_get_its_hand_overs_while_one_of_them_is_there(store: DeskStore) -> None:
    ann, bob = agent(store, "ann", capacity=1), agent(store, "bob", capacity=3)
    invoices = team_id(store, "Invoices & payment")
    store.update_team(invoices, "Invoices & payment", ["invoices", "payment"], True, [ann])
    first = handover(store, "c1", {"kb_candidates": [{"category": "invoices"}]})
    second = handover(store, "c2", {"kb_candidates": [{"category": "invoices"}]})
    general = handover(store, "c3", {})
    store.assign_waiting()
    assert holder(store, first) == ann  # bob holds less, but is not in the team
    assert holder(store, second) is None  # ann is full: it waits for her rather than going to bob
    assert holder(store, general) == bob
    store.set_presence(ann, "away")  # nobody of the team there: anyone may take it
    store.assign_waiting()
    assert holder(store, second) == bob


def test_a_team_can_keep_auto_assignment_off_and_agents_move_hand_overs(store: DeskStore) -> None:
    ann = agent(store, "ann", capacity=3)
    orders = team_id(store, "Orders & shipping")
    store.update_team(orders, "Orders & shipping", ["orders", "check_order_status"], False, [ann])
    order = handover(store, "c1", {"intent": "check_order_status"})
    assert store.assign_waiting() == []  # left for someone to claim
    moved = store.move_to_team(order["id"], ann, None)
    assert moved["team"] is None
    assert any(m["role"] == "system" and m["text"] == "moved to anyone by Ann"
               for m in store.detail(order["id"])["messages"])
    assert [e["id"] for e in store.assign_waiting()] == [order["id"]]
    with pytest.raises(InvalidInputError, match="no team 999"):
        store.move_to_team(order["id"], ann, 999)


def test_admins_keep_the_teams(store: DeskStore) -> None:
    ann = agent(store, "ann")
    made = store.create_team(" VIP  desk ", ["complaints", "complain"], True, [ann])
    assert made["name"] == "VIP desk" and [m["display_name"] for m in made["members"]] == ["Ann"]
    with pytest.raises(ConflictError):
        store.create_team("vip desk", [], True, [])
    with pytest.raises(InvalidInputError, match="categories"):
        store.create_team("Bad", ["has space"], True, [])
    with pytest.raises(InvalidInputError, match="no agent 999"):
        store.create_team("Ghosts", [], True, [999])
    e = handover(store, "c1", {"intent": "complain"})
    assert e["team"]["name"] == "After-sales"  # the first team listing it, by id
    store.delete_team(team_id(store, "After-sales"))
    assert store.get_escalation(e["id"])["team"] is None
    with pytest.raises(NotFoundError):
        store.update_team(999, "x", [], True, [])
    with pytest.raises(NotFoundError):
        store.delete_team(999)
