"""Compensation through the console: an agent grants within their limit, above it the request waits for a
supervisor; agents cannot approve, supervisors can; a repeated key grants once; the customer is told each step."""

from __future__ import annotations

from typing import Any

from console.core.security import hash_password
from desk.store import DeskStore
from tests.console.conftest import PASSWORD, sign_in
from tests.console.test_api import escalate


def test_grants_requests_and_a_supervisors_decision(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    store.create_agent("sue", display_name="Sue", role="supervisor", password_hash=hash_password(PASSWORD))
    escalation = escalate(store, "late-1")
    ann, bob, sue = sign_in(app, rasa, "ann"), sign_in(app, rasa, "bob"), sign_in(app, rasa, "sue")
    assert ann.post(f"/api/escalations/{escalation['id']}/claim").status_code == 200
    url = f"/api/escalations/{escalation['id']}/compensations"
    policy = ann.get("/api/compensation/policy").json()
    assert policy["my_limit"] == 50 and policy["limits"]["supervisor"] == 500 and not policy["may_decide"]

    body = {"kind": "coupon", "amount": 20, "reason": "parcel late", "key": "click-0001"}
    first = ann.post(url, json=body)
    assert first.status_code == 201 and first.json()["status"] == "granted"
    assert first.json()["code"].startswith("CPN-")  # the demo order book issued it
    assert rasa.sent[-1] == ("late-1", "EXTERNAL_compensation", {"compensation_id": first.json()["id"]})
    told = len(rasa.sent)
    again = ann.post(url, json=body)  # a double click
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and len(rasa.sent) == told

    assert bob.post(url, json={**body, "key": "bob-00001"}).status_code == 403  # not his conversation
    big = ann.post(url, json={**body, "amount": 120, "key": "click-0002"})
    assert big.status_code == 201 and big.json()["status"] == "pending" and big.json()["code"] is None
    pending = sue.get("/api/compensations", params={"status": "pending"}).json()
    assert [c["id"] for c in pending] == [big.json()["id"]]
    assert ann.post(f"/api/compensations/{big.json()['id']}/approve", json={}).status_code == 403
    approved = sue.post(f"/api/compensations/{big.json()['id']}/approve", json={"note": "long-time customer"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["code"].startswith("CPN-")
    assert rasa.sent[-1] == ("late-1", "EXTERNAL_compensation", {"compensation_id": big.json()["id"]})
    assert sue.post(f"/api/compensations/{big.json()['id']}/decline", json={}).status_code == 409

    assert ann.post(url, json={**body, "kind": "cash", "key": "click-0003"}).status_code == 422
    assert ann.post(url, json={**body, "amount": 150, "key": "click-0004"}).status_code == 201  # pending again
    capped = ann.post(url, json={**body, "amount": 50, "key": "click-0005"})
    assert capped.status_code == 409 and "cap" in capped.json()["detail"]  # 20 + 120 + 150 + 50 > 300
    listed = ann.get(url).json()
    assert [c["status"] for c in listed] == ["pending", "approved", "granted"]
    del ann.headers["X-CSRF-Token"]
    assert ann.post(url, json={**body, "key": "click-0006"}).status_code == 403
    audit = [e["action"] for e in store.audit_log()]
    assert audit.count("compensation_granted") == 1 and audit.count("compensation_approved") == 1
