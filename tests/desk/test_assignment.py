"""Auto-assignment: least load among online agents with room, round-robin on ties, VIP first, never twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from desk.errors import ConflictError, InvalidInputError, NotFoundError
from desk.store import DeskStore
from kefu.db import utcnow
from tests.desk.conftest import escalate


def agent(store: DeskStore, name: str, status: str = "online", capacity: int = 2) -> int:
    agent_id = int(store.create_agent(name, display_name=name.title(), role="agent", password_hash="x")["id"])
    store.set_capacity(agent_id, capacity)
    store.set_presence(agent_id, status)
    return agent_id


def holder(store: DeskStore, escalation: dict) -> int | None:
    held_by = store.get_escalation(escalation["id"])["agent"]
    return None if held_by is None else int(held_by["id"])


def test_each_goes_to_the_least_loaded_online_agent_with_room(store: DeskStore) -> None:
    ann, bob = agent(store, "ann", capacity=1), agent(store, "bob", capacity=2)
    first, second, third, fourth = (escalate(store, f"c{i}") for i in range(4))
    assigned = store.assign_waiting()
    assert [e["id"] for e in assigned] == [first["id"], second["id"], third["id"]]
    assert {holder(store, first), holder(store, second)} == {ann, bob}  # one each before anyone gets two
    assert holder(store, third) == bob  # ann is full at 1
    waiting = store.get_escalation(fourth["id"])
    assert waiting["status"] == "waiting" and waiting["position"] == 1
    claimed = store.get_escalation(first["id"])
    assert claimed["status"] == "claimed" and claimed["claimed_at"]
    loads = {a["username"]: (a["load"], a["capacity"], a["status"]) for a in store.agents()}
    assert loads == {"ann": (1, 1, "online"), "bob": (2, 2, "online")}


def test_the_assignment_is_written_in_the_conversation_and_sent_to_the_desks(store: DeskStore) -> None:
    agent(store, "ann")
    escalation = escalate(store, "c1")
    before = store.last_event_id()
    store.assign_waiting()
    detail = store.detail(escalation["id"])
    assert any(m["role"] == "system" and m["text"] == "assigned to Ann automatically" for m in detail["messages"])
    pushed = [(kind, payload.get("id")) for _, kind, payload in store.events_after(before)]
    assert ("escalation", escalation["id"]) in pushed


def test_ties_go_round_robin(store: DeskStore) -> None:
    ann, bob = agent(store, "ann", capacity=5), agent(store, "bob", capacity=5)
    first = escalate(store, "c1")
    store.assign_waiting()
    store.resolve(first["id"], holder(store, first))  # back to no load each
    second = escalate(store, "c2")
    store.assign_waiting()
    assert {holder(store, first), holder(store, second)} == {ann, bob}


def test_vip_customers_are_assigned_first(store: DeskStore) -> None:
    agent(store, "ann", capacity=1)
    angry = escalate(store, "angry", frustration=0.95)
    vip = escalate(store, "vip", frustration=0.1, tier="vip")
    assert store.positions()[angry["id"]] == 1  # the queue itself puts the angrier customer first
    store.assign_waiting()
    assert store.get_escalation(vip["id"])["status"] == "claimed"
    assert store.get_escalation(angry["id"])["status"] == "waiting"


@pytest.mark.parametrize("status", ["busy", "away"])
def test_busy_and_away_agents_get_nothing_new(store: DeskStore, status: str) -> None:
    agent(store, "ann", status=status)
    escalate(store, "c1")
    assert store.assign_waiting() == []
    assert store.agents_online() == (1 if status == "busy" else 0)  # busy agents still serve the queue


def test_agents_whose_heartbeat_stopped_or_with_no_capacity_get_nothing(store: DeskStore) -> None:
    agent(store, "ann", capacity=0)
    agent(store, "bob")
    escalate(store, "c1")
    later = utcnow() + timedelta(seconds=store.presence_ttl_s + 5)
    assert store.assign_waiting(now=later) == []
    assert {a["username"]: a["status"] for a in store.agents()}["ann"] == "online"


def test_an_escalation_claimed_by_hand_is_not_assigned_again(store: DeskStore) -> None:
    ann, bob = agent(store, "ann"), agent(store, "bob")
    escalation = escalate(store, "c1")
    store.claim(escalation["id"], bob)
    assert store.assign_waiting() == []
    assert holder(store, escalation) == bob
    with pytest.raises(ConflictError):
        store.claim(escalation["id"], ann)


def test_two_passes_at_once_never_assign_twice_or_overfill(store: DeskStore) -> None:
    agent(store, "ann", capacity=3)
    for i in range(6):
        escalate(store, f"c{i}")
    results: list[list[dict]] = []
    threads = [threading.Thread(target=lambda: results.append(store.assign_waiting())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [e["id"] for r in results for e in r]
    assert len(ids) == len(set(ids)) == 3
    assert next(a for a in store.agents() if a["username"] == "ann")["load"] == 3


def test_capacity_and_presence_are_checked(store: DeskStore) -> None:
    ann = agent(store, "ann")
    with pytest.raises(InvalidInputError):
        store.set_capacity(ann, -1)
    with pytest.raises(InvalidInputError):
        store.set_capacity(ann, 51)
    with pytest.raises(NotFoundError):
        store.set_capacity(9999, 2)
    with pytest.raises(InvalidInputError):
        store.set_presence(ann, "asleep")
    assert store.set_capacity(ann, 4)["capacity"] == 4


def test_an_agent_who_does_not_answer_in_time_loses_the_conversation_to_the_next(store: DeskStore) -> None:
    ann, bob = agent(store, "ann", capacity=1), agent(store, "bob", capacity=1)
    store.set_presence(bob, "busy")
    escalation = escalate(store, "c1")
    store.assign_waiting()
    assert holder(store, escalation) == ann
    store.set_presence(bob, "online")
    soon = utcnow() + timedelta(seconds=60)
    assert store.reclaim_unanswered(180, now=soon) == []  # not late yet
    late = utcnow() + timedelta(seconds=200)
    back = store.reclaim_unanswered(180, now=late)
    assert [e["id"] for e in back] == [escalation["id"]] and back[0]["status"] == "waiting"
    texts = [m["text"] for m in store.detail(escalation["id"])["messages"] if m["role"] == "system"]
    assert texts[-1] == "Ann did not answer within 3 min: back in the queue"
    store.set_presence(ann, "online")
    store.set_presence(bob, "online")
    store.assign_waiting()
    assert holder(store, escalation) == bob  # the next agent, not Ann again


def test_an_answered_or_hand_claimed_conversation_stays(store: DeskStore) -> None:
    ann, bob = agent(store, "ann"), agent(store, "bob")
    answered, by_hand = escalate(store, "c1"), escalate(store, "c2")
    store.claim(by_hand["id"], bob)
    store.assign_waiting()
    assert holder(store, answered) == ann
    store.add_agent_message(answered["id"], ann, "hello, I am looking at it")
    assert store.reclaim_unanswered(180, now=utcnow() + timedelta(seconds=600)) == []
    assert holder(store, answered) == ann and holder(store, by_hand) == bob


def test_the_agent_passed_over_gets_it_back_when_nobody_else_has_room(store: DeskStore) -> None:
    ann = agent(store, "ann", capacity=1)
    escalation = escalate(store, "c1")
    store.assign_waiting()
    store.reclaim_unanswered(180, now=utcnow() + timedelta(seconds=200))
    store.set_presence(ann, "online")
    store.assign_waiting()
    assert holder(store, escalation) == ann
