"""A verified customer's conversations on every channel, and what is still open in them."""

from __future__ import annotations

from desk.store import DeskStore
from kefu.identity import checked_identity, sign, verified_customer
from tests.desk.conftest import escalate


def test_a_signed_id_is_verified_and_a_forged_one_refused() -> None:
    good = checked_identity({"customer_id": 42, "customer_signature": sign("42", "s3cret").upper()}, "s3cret")
    assert verified_customer(good) == "42" and "customer_signature" not in good
    for claim, why in (({"customer_id": "42", "customer_signature": sign("41", "s3cret")}, "forged"),
                       ({"customer_id": "42"}, "unsigned"),
                       ({"customer_id": ["42"], "customer_signature": "x"}, "malformed"),
                       ({"customer_id": "42", "customer_verified": True}, "unsigned")):
        checked = checked_identity(claim, "s3cret")
        assert checked.get("identity_refused") == why and verified_customer(checked) is None
    assert checked_identity({"customer_id": "42", "customer_signature": sign("42", "")}, "")[
        "identity_refused"] == "no_secret"
    assert checked_identity({"page": "/"}, "s3cret") == {"page": "/"}  # no claim: nothing to say


def test_verified_conversations_join_and_unverified_ones_stay_apart(store: DeskStore) -> None:
    assert store.linked_conversations("web-1") == ["web-1"]  # nobody vouched for it
    store.link_customer("u-42", "web-1", "socketio")
    store.link_customer("u-42", "web-1", "socketio")  # again: one row
    store.link_customer("u-42", "rest-9", "rest")
    store.link_customer("u-7", "web-2", "socketio")
    assert sorted(store.linked_conversations("web-1")) == ["rest-9", "web-1"]
    assert store.linked_conversations("web-1")[0] == "web-1"  # the current conversation first
    assert sorted(store.linked_conversations("new-tab", "u-42")) == ["new-tab", "rest-9", "web-1"]
    assert store.linked_conversations("web-2") == ["web-2"]
    assert store.customer_conversations("u-42") == ["rest-9", "web-1"]


def test_open_matters_are_the_live_hand_over_and_the_open_ticket(store: DeskStore) -> None:
    assert store.open_matters(["web-1"]).escalation is None
    escalation = escalate(store, "web-1")
    ticket = store.create_ticket("rest-9", channel="rest", language="zh", message="请回电", contact="a@b.cn")
    matters = store.open_matters(["web-1", "rest-9"])
    assert matters.escalation is not None and matters.escalation["id"] == escalation["id"]
    assert matters.ticket is not None and matters.ticket["id"] == ticket["id"]
    assert store.open_matters(["elsewhere"]).ticket is None
