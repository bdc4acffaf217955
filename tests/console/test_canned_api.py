"""Canned replies through the API (admins edit, agents read them filled for a conversation) and agent assist: the
knowledge base's suggestions for the customer's latest question, on the real embedding model."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from console.core.security import hash_password
from desk.store import DeskStore
from kefu.config import Settings
from tests.console.conftest import PASSWORD, FakeRasa, sign_in
from tests.console.test_kb_api import kb  # noqa: F401 (fixture)

NEW = {"language": "en", "title": "Invoice", "shortcut": "/invoice",
       "text": "Hi {customer_name}, the invoice for {order_id|your order} is in your email."}


def admin(app: Any, rasa: FakeRasa, store: DeskStore) -> TestClient:
    if not any(a["username"] == "ada" for a in store.agents()):
        store.create_agent("ada", display_name="Ada", role="admin", password_hash=hash_password(PASSWORD))
    return sign_in(app, rasa, "ada")


def test_only_admins_edit_canned_replies(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ann, ada = sign_in(app, rasa, "ann"), admin(app, rasa, store)
    assert ann.post("/api/canned", json=NEW).status_code == 403
    made = ada.post("/api/canned", json=NEW)
    assert made.status_code == 201, made.text
    reply = made.json()
    assert reply["shortcut"] == "invoice" and "filled" not in reply
    assert reply in ann.get("/api/canned?language=en").json()  # agents read what admins wrote
    path = f"/api/canned/{reply['id']}"
    assert ann.put(path, json=NEW).status_code == 403
    assert ann.delete(path).status_code == 403
    changed = ada.put(path, json={**NEW, "title": "Invoices", "shortcut": "inv"})
    assert changed.status_code == 200 and changed.json()["title"] == "Invoices"
    assert ada.delete(path).status_code == 204
    assert ada.delete(path).status_code == 404
    assert ada.put(path, json=NEW).status_code == 404


def test_edits_need_the_csrf_token(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ada = admin(app, rasa, store)
    token = ada.headers.pop("X-CSRF-Token")
    assert ada.post("/api/canned", json=NEW).status_code == 403
    ada.headers["X-CSRF-Token"] = token
    assert ada.post("/api/canned", json=NEW).status_code == 201


def test_a_bad_reply_is_refused_with_the_reason(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ada = admin(app, rasa, store)
    bad = ada.post("/api/canned", json={**NEW, "text": "Hi {name}"})
    assert bad.status_code == 422 and "unknown variable {name}" in bad.json()["detail"]
    assert ada.post("/api/canned", json={**NEW, "language": "fr"}).status_code == 422
    assert ada.post("/api/canned", json={**NEW, "title": ""}).status_code == 422
    assert ada.post("/api/canned", json={**NEW, "shortcut": "has space"}).status_code == 422
    taken = ada.post("/api/canned", json={**NEW, "shortcut": "hi"})
    assert taken.status_code == 409 and "/hi is taken" in taken.json()["detail"]


def test_replies_come_filled_for_the_conversation(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    e, _ = store.create_escalation("c-fill", channel="socketio", language="en", tier="regular", trigger="request",
                                   reason="asked", frustration=0.3,
                                   summary={"last_messages": [], "customer_name": "Grace"})
    ann = sign_in(app, rasa, "ann")
    admin(app, rasa, store).post("/api/canned", json=NEW)
    canned = ann.get(f"/api/canned?language=en&escalation_id={e['id']}").json()
    filled = {c["shortcut"]: c["filled"] for c in canned}
    assert filled["invoice"] == "Hi Grace, the invoice for your order is in your email."
    assert filled["hi"].startswith("Hi Grace, I'm Ann from the support team.")
    assert ann.get("/api/canned?escalation_id=999").status_code == 404


def test_suggestions_answer_the_latest_question_in_the_customers_language(
        kb: Settings, app_and_rasa: Any, store: DeskStore) -> None:  # noqa: F811
    app, rasa = app_and_rasa
    e, _ = store.create_escalation("c-assist", channel="wechat", language="en", tier="regular", trigger="request",
                                   reason="asked", frustration=0.3,
                                   summary={"last_messages": [{"role": "customer", "text": "who pays return shipping"},
                                                              {"role": "customer", "text": "human"}]})
    ann = sign_in(app, rasa, "ann")
    first = ann.get(f"/api/escalations/{e['id']}/suggestions").json()
    assert first["question"] == "who pays return shipping"  # "human" says nothing to search for
    top = first["suggestions"][0]
    assert top["faq_id"] == "returns-fee" and top["lang"] == "en" and top["answer"].startswith("No-reason returns")
    assert len(first["suggestions"]) <= 3
    assert [s["score"] for s in first["suggestions"]] == sorted((s["score"] for s in first["suggestions"]),
                                                                 reverse=True)
    store.add_customer_message("c-assist", "how long does my refund take?", sentiment=None, frustration=None,
                               source_id="m-1")
    later = ann.get(f"/api/escalations/{e['id']}/suggestions").json()
    assert later["suggestions"][0]["faq_id"] == "refund-time"
    assert ann.get("/api/escalations/999/suggestions").status_code == 404
    olga = sign_in(app, rasa, "olga")  # ops staff do not work conversations
    assert olga.get(f"/api/escalations/{e['id']}/suggestions").status_code == 403


def test_after_resolving_an_agent_saves_the_answer_for_ops_to_publish(
        kb: Settings, app_and_rasa: Any, store: DeskStore) -> None:  # noqa: F811
    app, rasa = app_and_rasa
    e, _ = store.create_escalation("c-faq", channel="socketio", language="en", tier="regular", trigger="request",
                                   reason="asked", frustration=0.2, summary={"last_messages": []})
    ann = sign_in(app, rasa, "ann")
    proposal = {"question": "can I get my parcel wrapped as a gift?",
                "answer": "Yes: tick 'gift wrap' at checkout; it costs ¥5."}
    assert ann.post(f"/api/escalations/{e['id']}/save-as-faq", json=proposal).status_code == 409  # not resolved
    ann_id = store.credentials("ann")[0]  # type: ignore[index]
    store.claim(e["id"], ann_id)
    store.add_agent_message(e["id"], ann_id, proposal["answer"])
    store.resolve(e["id"], ann_id)
    assert ann.post(f"/api/escalations/{e['id']}/save-as-faq", json={**proposal, "answer": ""}).status_code == 422
    olga = sign_in(app, rasa, "olga")
    assert olga.post(f"/api/escalations/{e['id']}/save-as-faq", json=proposal).status_code == 403
    saved = ann.post(f"/api/escalations/{e['id']}/save-as-faq", json=proposal)
    assert saved.status_code == 201, saved.text
    detail = olga.get(f"/api/kb/review/clusters/{saved.json()['cluster_id']}").json()
    [item] = [i for i in detail["items"] if i["id"] == saved.json()["item_id"]]
    assert (item["kind"], item["text"], item["proposed_by"]) == ("agent_answer", proposal["question"], "Ann")
    assert item["proposed_answer"] == proposal["answer"] and item["conversation_id"] == "c-faq"
    assert detail["draft"]["answers"]["en"] == proposal["answer"]  # the new-entry form starts from it
    assert proposal["question"] in detail["draft"]["variants"]["en"]
