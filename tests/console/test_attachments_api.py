"""Images and files through the console: an agent's upload (roles, CSRF, checks), a customer's from the web chat,
the files' safe serving, and typing both ways."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from desk.store import DeskStore
from tests.console.conftest import sign_in
from tests.console.test_api import escalate
from tests.support.files import PDF, SVG_WITH_SCRIPT, image


def claimed(app: Any, rasa: Any, store: DeskStore, conversation: str = "conv-1") -> tuple[TestClient, int]:
    escalation = escalate(store, conversation)
    ann = sign_in(app, rasa, "ann")
    assert ann.post(f"/api/escalations/{escalation['id']}/claim").status_code == 200
    return ann, escalation["id"]


def test_an_agent_sends_an_image_the_customer_can_fetch(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ann, e_id = claimed(app, rasa, store)
    png = image("PNG")
    sent = ann.post(f"/api/escalations/{e_id}/attachments", files={"file": ("label.png", png, "image/png")},
                    data={"text": "This is the return label"})
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["text"] == "This is the return label" and message["attachment"]["image"] is True
    assert rasa.sent[-1] == ("conv-1", "EXTERNAL_agent_reply", {"desk_message_id": message["id"]})

    anonymous = TestClient(app)  # the customer's browser: no session, only the address
    got = anonymous.get(message["attachment"]["url"])
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["content-disposition"].startswith("inline")
    assert anonymous.get("/files/" + "x" * 32).status_code == 404

    pdf = ann.post(f"/api/escalations/{e_id}/attachments", files={"file": ("invoice.pdf", PDF, "application/pdf")})
    assert pdf.status_code == 201 and pdf.json()["text"] == "[invoice.pdf]"
    download = anonymous.get(pdf.json()["attachment"]["url"])
    assert download.headers["content-disposition"].startswith("attachment")
    detail = ann.get(f"/api/escalations/{e_id}").json()
    assert [m["attachment"]["filename"] for m in detail["messages"]] == ["label.png", "invoice.pdf"]


def test_agent_uploads_are_checked_before_anything_is_kept(app_and_rasa: Any, store: DeskStore,
                                                           settings: Any) -> None:
    app, rasa = app_and_rasa
    ann, e_id = claimed(app, rasa, store)
    url = f"/api/escalations/{e_id}/attachments"
    svg = ann.post(url, files={"file": ("logo.svg", SVG_WITH_SCRIPT, "image/svg+xml")})
    assert svg.status_code == 415 and svg.json()["reason"] == "UnsafeType"
    renamed = ann.post(url, files={"file": ("photo.png", SVG_WITH_SCRIPT, "image/png")})
    assert renamed.status_code == 415 and renamed.json()["reason"] == "WrongExtension"
    huge = ann.post(url, files={"file": ("big.png", b"\0" * (settings.attachment_max_bytes + 100_000), "image/png")})
    assert huge.status_code == 413
    assert ann.get(f"/api/escalations/{e_id}").json()["messages"] == []
    assert not list(settings.attachments_path.rglob("*.*"))

    bob = sign_in(app, rasa, "bob")
    assert bob.post(url, files={"file": ("a.png", image(), "image/png")}).status_code == 403  # not his
    del bob.headers["X-CSRF-Token"]
    assert bob.post(url, files={"file": ("a.png", image(), "image/png")}).status_code == 403
    waiting = escalate(store, "conv-2")
    assert ann.post(f"/api/escalations/{waiting['id']}/attachments",
                    files={"file": ("a.png", image(), "image/png")}).status_code == 409  # claim it first
    assert TestClient(app).post(url, files={"file": ("a.png", image(), "image/png")}).status_code == 401


def test_a_customer_uploads_for_their_hand_over_only(app_and_rasa: Any, store: DeskStore) -> None:
    app, _rasa = app_and_rasa
    browser = TestClient(app)
    jpeg = image("JPEG")
    none = browser.post("/api/widget/attachments", data={"conversation_id": "stranger"},
                        files={"file": ("me.jpg", jpeg, "image/jpeg")})
    assert none.status_code == 409 and "person" in none.json()["detail"]
    escalate(store, "conv-7")
    ok = browser.post("/api/widget/attachments", data={"conversation_id": "conv-7"},
                      files={"file": ("broken item.jpg", jpeg, "image/jpeg")})
    assert ok.status_code == 201 and ok.headers["access-control-allow-origin"] == "*"
    token = ok.json()["token"]
    bad = browser.post("/api/widget/attachments", data={"conversation_id": "conv-7"},
                       files={"file": ("x.svg", SVG_WITH_SCRIPT, "image/svg+xml")})
    assert bad.status_code == 415 and bad.headers["access-control-allow-origin"] == "*"

    # The message that carries it (relayed by the bot) shows the image on the desk.
    message = store.add_customer_message("conv-7", "[图片]", sentiment=None, frustration=None, source_id="r1",
                                         attachment=token)
    assert message is not None and message["attachment"]["filename"] == "broken item.jpg"
    assert browser.get(message["attachment"]["url"]).content == jpeg


def test_typing_reaches_the_other_side(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ann, e_id = claimed(app, rasa, store)
    assert ann.post(f"/api/escalations/{e_id}/typing", json={"typing": True}).status_code == 204
    assert rasa.sent[-1] == ("conv-1", "typing", {"typing": True, "agent_name": "Ann"})

    before = store.last_event_id()
    browser = TestClient(app)
    assert browser.post("/api/widget/typing", data={"conversation_id": "conv-1"}).status_code == 204
    assert browser.post("/api/widget/typing", data={"conversation_id": "conv-1"}).status_code == 204  # throttled
    typing = [e for e in store.events_after(before) if e[1] == "typing"]
    assert [e[2] for e in typing] == [{"escalation_id": e_id, "role": "customer"}]
    assert browser.post("/api/widget/typing", data={"conversation_id": "nobody"}).status_code == 404
    bob = sign_in(app, rasa, "bob")
    assert bob.post(f"/api/escalations/{e_id}/typing", json={"typing": True}).status_code == 403
