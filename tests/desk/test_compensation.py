"""Compensation in the desk's store: within a role's limit it is granted, above an agent's it waits for a
supervisor; one row per idempotency key; each customer's cap; every step audited and sent to the live feed."""

from __future__ import annotations

import pytest

from desk.errors import ConflictError, ForbiddenError, InvalidInputError
from desk.store import DeskStore
from kefu.compensation import Policy

POLICY = Policy.parse("bot=10; agent=50; supervisor=500", "300/30d")


def grant(store: DeskStore, key: str, amount: float, role: str = "agent", kind: str = "coupon",
          customer: str | None = "u-1", conversation: str = "conv-1") -> tuple[dict, bool]:
    return store.compensate(POLICY, key=key, conversation_id=conversation, kind=kind, amount=amount,
                            reason="parcel arrived damaged", actor=f"{role}-user", role=role, customer=customer)


def test_within_the_limit_it_is_granted_above_it_a_supervisor_decides(store: DeskStore) -> None:
    before = store.last_event_id()
    granted, new = grant(store, "k-1", 30)
    assert new and granted["status"] == "granted" and granted["value"] == 30
    pending, _ = grant(store, "k-2", 80)
    assert pending["status"] == "pending"
    with pytest.raises(ForbiddenError):  # a supervisor above their own limit
        store.decide(Policy.parse("bot=10; agent=50; supervisor=60", "300/30d"), pending["id"], approve=True,
                     actor="sue", role="supervisor")
    approved = store.decide(POLICY, pending["id"], approve=True, actor="sue", role="supervisor", note="fair")
    assert approved["status"] == "approved" and approved["decided_by"] == "sue"
    with pytest.raises(ConflictError):
        store.decide(POLICY, pending["id"], approve=False, actor="sue", role="supervisor")
    declined = store.decide(POLICY, grant(store, "k-3", 60)[0]["id"], approve=False, actor="sue", role="supervisor")
    assert declined["status"] == "declined"
    actions = [e["action"] for e in store.audit_log()]
    assert actions[:5] == ["compensation_declined", "compensation_requested", "compensation_approved",
                           "compensation_requested", "compensation_granted"]
    assert sum(1 for e in store.events_after(before) if e[1] == "compensation") == 5


def test_the_same_key_grants_once(store: DeskStore) -> None:
    first, new = grant(store, "double-click", 20)
    again, new_again = grant(store, "double-click", 20)
    assert new and not new_again and again["id"] == first["id"]
    assert len(store.compensations(conversation_id="conv-1")) == 1
    assert [e["action"] for e in store.audit_log()].count("compensation_granted") == 1


def test_the_bot_stays_within_its_limit_and_everyone_within_the_cap(store: DeskStore) -> None:
    with pytest.raises(ConflictError):
        grant(store, "bot-big", 20, role="bot")
    assert grant(store, "bot-ok", 10, role="bot")[0]["status"] == "granted"
    grant(store, "a", 50)
    grant(store, "b", 200, role="supervisor")
    with pytest.raises(ConflictError, match="cap"):  # 10 + 50 + 200 + 50 > 300 within 30 days
        grant(store, "c", 50, conversation="another-channel")  # the same customer on another channel
    assert grant(store, "d", 50, customer="u-2")[0]["status"] == "granted"  # someone else
    assert grant(store, "points", 3000, kind="points", customer="u-3")[0]["value"] == 30
    with pytest.raises(InvalidInputError):
        grant(store, "e", 10, kind="cash")


def test_the_customer_hears_each_status_once(store: DeskStore) -> None:
    pending, _ = grant(store, "k-9", 80)
    assert store.mark_told(pending["id"], "pending") and not store.mark_told(pending["id"], "pending")
    store.decide(POLICY, pending["id"], approve=True, actor="sue", role="supervisor")
    assert not store.mark_told(pending["id"], "pending")  # no longer its status
    assert store.mark_told(pending["id"], "approved")
