"""The agent desk's API with FastAPI's TestClient: sign-in, CSRF, roles, the queue and one hand-over."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from desk.store import DeskStore
from tests.console.conftest import PASSWORD, sign_in


def escalate(store: DeskStore, conversation: str = "conv-1", frustration: float = 0.5) -> dict[str, Any]:
    return store.create_escalation(
        conversation, channel="socketio", language="en", tier="regular", trigger="frustration",
        reason="negative sentiment", frustration=frustration,
        summary={"last_messages": [{"role": "customer", "text": "where is it"}]})[0]


def test_sign_in_sets_an_http_only_session_and_hashes_passwords(app_and_rasa: Any, store: DeskStore) -> None:
    app, _ = app_and_rasa
    with TestClient(app) as client:
        assert client.get("/api/queue").status_code == 401
        assert client.get("/desk", follow_redirects=False).headers["location"] == "/login?next=/desk"
        wrong = client.post("/api/auth/login", json={"username": "ann", "password": "nope"})
        nobody = client.post("/api/auth/login", json={"username": "zed", "password": PASSWORD})
        assert wrong.status_code == nobody.status_code == 401 and wrong.json() == nobody.json()
        ok = client.post("/api/auth/login", json={"username": "ann", "password": PASSWORD})
        assert ok.status_code == 200 and ok.json()["user"]["display_name"] == "Ann"
        cookie = ok.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert client.get("/desk").status_code == 200
        assert client.get("/api/auth/me").json()["csrf_token"] == ok.json()["csrf_token"]
    credentials = store.credentials("ann")
    assert credentials is not None and credentials[1].startswith("$argon2id$") and PASSWORD not in credentials[1]


def test_unsafe_requests_need_the_csrf_token(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    escalation = escalate(store)
    client = sign_in(app, rasa, "ann")
    token = client.headers.pop("X-CSRF-Token")
    refused = client.post(f"/api/escalations/{escalation['id']}/claim")
    forged = client.post(f"/api/escalations/{escalation['id']}/claim", headers={"X-CSRF-Token": "forged"})
    assert refused.status_code == forged.status_code == 403
    assert store.get_escalation(escalation["id"])["status"] == "waiting"
    ok = client.post(f"/api/escalations/{escalation['id']}/claim", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200


def test_ops_staff_cannot_use_the_desk(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    client = sign_in(app, rasa, "olga")
    assert client.get("/api/queue").status_code == 403


def test_a_whole_hand_over_through_the_api(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    calm = escalate(store, "calm", 0.1)
    angry = escalate(store, "angry", 0.9)
    ann, bob = sign_in(app, rasa, "ann"), sign_in(app, rasa, "bob")
    assert ann.post("/api/presence", json={"status": "online"}).json() == {"status": "online"}
    queue = ann.get("/api/queue").json()
    assert [e["id"] for e in queue["escalations"]] == [angry["id"], calm["id"]] and queue["agents_online"] == 1

    assert ann.post(f"/api/escalations/{angry['id']}/claim").status_code == 200
    taken = bob.post(f"/api/escalations/{angry['id']}/claim")
    assert taken.status_code == 409 and "Ann" in taken.json()["detail"]
    assert rasa.sent[-1] == ("angry", "EXTERNAL_queue_update", None)  # "an agent has joined"

    forbidden = bob.post(f"/api/escalations/{angry['id']}/reply", json={"text": "hi from bob"})
    assert forbidden.status_code == 403
    reply = ann.post(f"/api/escalations/{angry['id']}/reply", json={"text": "<b>Hi</b>, Ann here"})
    assert reply.status_code == 200 and reply.json()["delivered"] is False
    assert rasa.sent[-1] == ("angry", "EXTERNAL_agent_reply", {"desk_message_id": reply.json()["id"]})
    assert ann.post(f"/api/escalations/{angry['id']}/reply", json={"text": ""}).status_code == 422
    assert ann.post(f"/api/escalations/{angry['id']}/reply", json={"text": "x" * 4001}).status_code == 422

    note = bob.post(f"/api/escalations/{angry['id']}/notes", json={"text": "refund was approved yesterday"})
    assert note.status_code == 200 and note.json()["author"] == "Bob"
    detail = bob.get(f"/api/escalations/{angry['id']}").json()
    assert [m["text"] for m in detail["messages"]] == ["<b>Hi</b>, Ann here"]
    assert detail["notes"][0]["text"] == "refund was approved yesterday"
    assert detail["escalation"]["summary"]["last_messages"][0]["text"] == "where is it"

    bob_id = next(a["id"] for a in ann.get("/api/agents").json() if a["username"] == "bob")
    assert ann.post(f"/api/escalations/{angry['id']}/transfer", json={"agent_id": bob_id}).status_code == 200
    assert ann.post(f"/api/escalations/{angry['id']}/resolve").status_code == 403
    resolved = bob.post(f"/api/escalations/{angry['id']}/resolve")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert rasa.sent[-1] == ("angry", "EXTERNAL_handoff_ended", None)
    assert [e["id"] for e in ann.get("/api/queue").json()["escalations"]] == [calm["id"]]
    assert ann.get("/api/escalations/999").status_code == 404


def test_tickets_and_canned_replies(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ticket = store.create_ticket(
        "t-1", channel="wechat", language="zh", message="退款还没到账，请回电", contact="13800138000"
    )
    client = sign_in(app, rasa, "ann")
    assert [t["id"] for t in client.get("/api/tickets").json()] == [ticket["id"]]
    assert client.post(f"/api/tickets/{ticket['id']}/close").json()["status"] == "closed"
    assert client.get("/api/tickets?status=open").json() == []
    canned = client.get("/api/canned?language=zh").json()
    assert canned and {c["language"] for c in canned} == {"zh"}


def test_pages_are_local_and_locked_down(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    client = sign_in(app, rasa, "ann")
    page = client.get("/desk")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert "http://" not in page.text and "https://" not in page.text
    assert client.get("/static/desk/main.js").status_code == 200
    assert client.post("/api/auth/logout").status_code == 204
    assert client.get("/api/queue").status_code == 401


def test_repeated_failed_sign_ins_are_throttled(app_and_rasa: Any, store: DeskStore) -> None:
    app, _ = app_and_rasa
    with TestClient(app) as client:
        for _ in range(5):
            assert client.post("/api/auth/login", json={"username": "bob", "password": "guess"}).status_code == 401
        blocked = client.post("/api/auth/login", json={"username": "bob", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
