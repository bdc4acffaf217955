"""Labels: the list an admin keeps, the labels agents put on conversations, the queue filtered by one."""

from __future__ import annotations

import pytest

from desk.errors import ConflictError, InvalidInputError, NotFoundError
from desk.store import DeskStore
from tests.desk.conftest import escalate


def agent_id(store: DeskStore, name: str = "ann") -> int:
    return int(store.create_agent(name, display_name=name.title(), role="agent", password_hash="x")["id"])


def label_id(store: DeskStore, name: str) -> int:
    return next(int(label["id"]) for label in store.labels() if label["name"] == name)


def test_the_list_starts_with_the_usual_labels(store: DeskStore) -> None:
    assert [label["name"] for label in store.labels()] == ["complaint", "invoice", "logistics", "refund",
                                                          "VIP complaint"]
    assert all(label["open"] == 0 for label in store.labels())


def test_an_admin_adds_renames_recolours_and_deletes_labels(store: DeskStore) -> None:
    before = store.last_event_id()
    made = store.create_label("  size   exchange ", "pink")
    assert (made["name"], made["color"]) == ("size exchange", "pink")
    with pytest.raises(ConflictError, match="exists"):
        store.create_label("Size Exchange", "blue")  # names are unique whatever their case
    with pytest.raises(InvalidInputError, match="colour"):
        store.create_label("gift", "mauve")
    with pytest.raises(InvalidInputError, match="empty"):
        store.create_label("   ", "grey")
    with pytest.raises(ConflictError):
        store.update_label(made["id"], "Refund", "pink")
    changed = store.update_label(made["id"], "exchange", "green")
    assert (changed["name"], changed["color"]) == ("exchange", "green")
    store.delete_label(made["id"])
    assert "exchange" not in [label["name"] for label in store.labels()]
    with pytest.raises(NotFoundError):
        store.delete_label(made["id"])
    with pytest.raises(NotFoundError):
        store.update_label(999, "x", "grey")
    kinds = [(kind, payload) for _, kind, payload in store.events_after(before)]
    assert [kind for kind, _ in kinds] == ["label", "label", "label"]
    assert kinds[-1][1] == {"id": made["id"], "deleted": True}


def test_agents_label_a_conversation_and_every_desk_hears_it(store: DeskStore) -> None:
    ann = agent_id(store)
    e = escalate(store, "c1")
    refund, logistics = label_id(store, "refund"), label_id(store, "logistics")
    before = store.last_event_id()
    got = store.set_labels(e["id"], ann, [refund, logistics, refund])
    assert [label["name"] for label in got["labels"]] == ["logistics", "refund"]
    assert ("escalation", e["id"]) in [(kind, p["id"]) for _, kind, p in store.events_after(before)]
    assert store.set_labels(e["id"], ann, [logistics])["labels"] == [
        {"id": logistics, "name": "logistics", "color": "blue"}]
    assert {label["name"]: label["open"] for label in store.labels()}["logistics"] == 1
    with pytest.raises(InvalidInputError, match="no label 999"):
        store.set_labels(e["id"], ann, [999])
    with pytest.raises(InvalidInputError, match="at most"):
        store.set_labels(e["id"], ann, list(range(1, 20)))
    with pytest.raises(NotFoundError):
        store.set_labels(12345, ann, [])
    store.claim(e["id"], ann)
    store.resolve(e["id"], ann)
    assert store.set_labels(e["id"], ann, [refund])["labels"][0]["name"] == "refund"  # after it ended, too
    assert store.set_labels(e["id"], ann, [])["labels"] == []


def test_renaming_or_deleting_a_label_reaches_the_conversations_carrying_it(store: DeskStore) -> None:
    ann = agent_id(store)
    e = escalate(store, "c1")
    refund = label_id(store, "refund")
    store.set_labels(e["id"], ann, [refund])
    before = store.last_event_id()
    store.update_label(refund, "refunds", "red")
    assert store.get_escalation(e["id"])["labels"][0]["name"] == "refunds"
    pushed = [(kind, p["id"]) for _, kind, p in store.events_after(before)]
    assert ("label", refund) in pushed and ("escalation", e["id"]) in pushed
    store.delete_label(refund)
    assert store.get_escalation(e["id"])["labels"] == []


def test_the_queue_filtered_by_a_label_keeps_the_real_positions(store: DeskStore) -> None:
    ann = agent_id(store)
    first, second, third = escalate(store, "c1", 0.9), escalate(store, "c2", 0.5), escalate(store, "c3", 0.1)
    refund = label_id(store, "refund")
    store.set_labels(second["id"], ann, [refund])
    store.set_labels(third["id"], ann, [refund])
    only = store.queue(label_id=refund)
    assert [(e["id"], e["position"]) for e in only] == [(second["id"], 2), (third["id"], 3)]
    assert len(store.queue()) == 3 and first["id"] in [e["id"] for e in store.queue()]
