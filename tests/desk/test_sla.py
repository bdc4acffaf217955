"""SLAs: each hand-over's level and deadlines, the breaches recorded once each, the targets an admin sets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from desk import sla
from desk.db import Escalation, Message
from desk.errors import InvalidInputError
from desk.store import DeskStore
from tests.desk.conftest import escalate


def backdate(store: DeskStore, escalation_id: int, minutes: float) -> None:
    """Move the hand-over and its messages `minutes` into the past."""
    shift = timedelta(minutes=minutes)
    with store.session() as s:
        e = s.get(Escalation, escalation_id)
        assert e is not None
        e.created_at -= shift
        for column in ("first_response_at", "awaiting_since", "claimed_at"):
            if getattr(e, column) is not None:
                setattr(e, column, getattr(e, column) - shift)
        s.execute(update(Message).where(Message.escalation_id == escalation_id)
                  .values(created_at=Message.created_at - shift))


def test_levels_and_the_settings_spelling() -> None:
    assert sla.level_of("vip", "request", 0.1) == "urgent"
    assert sla.level_of("regular", "frustration", 0.3) == "high"
    assert sla.level_of("regular", "request", 0.7) == "high"
    assert sla.level_of("regular", "request", 0.2) == "normal"
    targets = sla.parse_targets(sla.DEFAULT_SPEC)
    assert targets["urgent"] == sla.Targets(60, 300, 1800)
    with pytest.raises(ValueError, match="missing"):
        sla.parse_targets("urgent=60/300/1800")
    with pytest.raises(ValueError, match="between 1"):
        sla.parse_targets("urgent=0/300/1800; high=1/1/1; normal=1/1/1")
    with pytest.raises(ValueError, match="seconds"):
        sla.parse_targets("urgent=1m/300/1800; high=1/1/1; normal=1/1/1")


def test_the_clocks_follow_the_conversation(store: DeskStore) -> None:
    agent = int(store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")["id"])
    e = escalate(store, "c1", frustration=0.2)
    clock = store.get_escalation(e["id"])["sla"]
    assert clock["level"] == "normal" and clock["targets"] == {"first_response_s": 300, "next_response_s": 900,
                                                               "resolution_s": 7200}
    assert clock["first_response_due"] and clock["resolution_due"] and clock["next_response_due"] is None
    store.claim(e["id"], agent)
    store.add_agent_message(e["id"], agent, "您好")
    answered = store.get_escalation(e["id"])["sla"]
    assert answered["first_response_due"] is None and answered["next_response_due"] is None
    store.add_customer_message("c1", "还在吗", sentiment=None, frustration=None, source_id="m1")
    first_wait = store.get_escalation(e["id"])["sla"]["next_response_due"]
    store.add_customer_message("c1", "？？", sentiment=None, frustration=None, source_id="m2")
    assert store.get_escalation(e["id"])["sla"]["next_response_due"] == first_wait  # from the oldest unanswered
    store.add_agent_message(e["id"], agent, "在的")
    assert store.get_escalation(e["id"])["sla"]["next_response_due"] is None
    store.resolve(e["id"], agent)
    ended = store.get_escalation(e["id"])["sla"]
    assert ended["first_response_due"] is ended["next_response_due"] is ended["resolution_due"] is None


def test_breaches_are_recorded_once_and_sent_live(store: DeskStore) -> None:
    agent = int(store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")["id"])
    vip = escalate(store, "c-vip", tier="vip")
    calm = escalate(store, "c-calm")
    backdate(store, vip["id"], 2)  # urgent: 60 s for a first response
    backdate(store, calm["id"], 2)  # normal: 300 s
    before = store.last_event_id()
    found = store.check_sla()
    assert [(b["escalation_id"], b["kind"]) for b in found] == [(vip["id"], "first_response")]
    assert store.check_sla() == []
    pushed = [(kind, p.get("escalation_id", p.get("id"))) for _, kind, p in store.events_after(before)]
    assert ("sla", vip["id"]) in pushed and ("escalation", vip["id"]) in pushed
    shown = store.get_escalation(vip["id"])["sla"]
    assert [b["kind"] for b in shown["breaches"]] == ["first_response"]
    # Answered late, then a new wait that also runs over: a second, separate breach.
    store.claim(vip["id"], agent)
    store.add_agent_message(vip["id"], agent, "hello")
    store.add_customer_message("c-vip", "my parcel?", sentiment=None, frustration=None, source_id="v1")
    backdate(store, vip["id"], 6)  # urgent: 300 s for each next response
    kinds = sorted(b["kind"] for b in store.check_sla())
    assert kinds == ["next_response"]
    assert sorted(b["kind"] for b in store.get_escalation(vip["id"])["sla"]["breaches"]) == [
        "first_response", "next_response"]


def test_an_admin_sets_the_targets_per_level(store: DeskStore) -> None:
    e = escalate(store, "c1")
    changed = store.set_sla_targets({"normal": {"first_response_s": 30, "next_response_s": 60, "resolution_s": 600}})
    assert changed["levels"]["normal"] == {"first_response_s": 30, "next_response_s": 60, "resolution_s": 600}
    assert changed["defaults"]["normal"]["first_response_s"] == 300
    assert store.get_escalation(e["id"])["sla"]["targets"]["first_response_s"] == 30
    backdate(store, e["id"], 1)
    assert [b["kind"] for b in store.check_sla()] == ["first_response"]
    with pytest.raises(InvalidInputError, match="levels"):
        store.set_sla_targets({"critical": {"first_response_s": 1, "next_response_s": 1, "resolution_s": 1}})
    with pytest.raises(InvalidInputError, match="between 1"):
        store.set_sla_targets({"high": {"first_response_s": 0, "next_response_s": 1, "resolution_s": 1}})
