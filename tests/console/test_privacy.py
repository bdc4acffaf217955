"""Personal data in the desk: agents see it masked, supervisors reveal it (audit-logged), admins read the log."""

from __future__ import annotations

import csv
import io
from typing import Any

from console.core.security import hash_password
from desk.store import DeskStore
from tests.console.conftest import PASSWORD, sign_in

PHONE = "13912345678"


def _setup(store: DeskStore) -> dict[str, Any]:
    for name, role in (("sue", "supervisor"), ("ada", "admin")):
        store.create_agent(name, display_name=name.title(), role=role, password_hash=hash_password(PASSWORD))
    escalation = store.create_escalation(
        "conv-pii", channel="socketio", language="zh", tier="regular", trigger="request", reason="asked",
        frustration=0.2, summary={"last_messages": [{"role": "customer", "text": f"我的电话{PHONE}"},
                                                    {"role": "bot", "text": "好的"}]})[0]
    store.add_customer_message("conv-pii", f"改寄到北京市朝阳区建国路88号，电话{PHONE}", sentiment=None,
                               frustration=None, source_id="m1")
    ticket = store.create_ticket("conv-t", channel="wechat", language="zh", message="请回电", contact=PHONE)
    return {"escalation": escalation, "ticket": ticket}


def test_agents_see_personal_data_masked_everywhere(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    made = _setup(store)
    ann = sign_in(app, rasa, "ann")
    detail = ann.get(f"/api/escalations/{made['escalation']['id']}").json()
    assert detail["escalation"]["summary"]["last_messages"][0]["text"] == "我的电话*******5678"
    assert detail["escalation"]["summary"]["last_messages"][1]["text"] == "好的"
    message = detail["messages"][0]
    assert message["masked"] is True and PHONE not in message["text"] and "[地址]" in message["text"]
    ticket = ann.get("/api/tickets").json()[0]
    assert ticket["contact"] == "*******5678" and ticket["masked"] is True
    assert PHONE not in ann.get("/api/queue").text
    assert ann.get("/api/auth/me").json()["may_reveal"] is False


def test_only_revealing_roles_reveal_and_every_reveal_is_logged(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    made = _setup(store)
    e_id, t_id = made["escalation"]["id"], made["ticket"]["id"]
    ann = sign_in(app, rasa, "ann")
    assert ann.post(f"/api/escalations/{e_id}/reveal", json={"reason": "call back"}).status_code == 403
    sue = sign_in(app, rasa, "sue")
    assert sue.get("/api/auth/me").json()["may_reveal"] is True
    assert sue.post(f"/api/escalations/{e_id}/reveal", json={"reason": "x"}).status_code == 422
    assert sue.post("/api/escalations/999/reveal", json={"reason": "call back"}).status_code == 404
    csrf = sue.headers.pop("X-CSRF-Token")
    assert sue.post(f"/api/escalations/{e_id}/reveal", json={"reason": "call back"}).status_code == 403
    sue.headers["X-CSRF-Token"] = csrf
    revealed = sue.post(f"/api/escalations/{e_id}/reveal", json={"reason": f"courier asked, {PHONE}"}).json()
    assert revealed["summary"] == [{"id": None, "index": 0, "text": f"我的电话{PHONE}"}]
    assert PHONE in revealed["messages"][0]["text"]
    assert sue.post(f"/api/tickets/{t_id}/reveal", json={"reason": "call back"}).json()["contact"] == PHONE

    assert sue.get("/api/audit").status_code == 403  # the log is for admins
    ada = sign_in(app, rasa, "ada")
    log = ada.get("/api/audit").json()
    assert [(a["actor"], a["action"], a["target"]) for a in log] == [
        ("sue", "reveal_ticket", f"ticket:{t_id}"), ("sue", "reveal_escalation", f"escalation:{e_id}")]
    assert log[1]["conversation_id"] == "conv-pii"
    assert log[1]["detail"]["reason"] == "courier asked, *******5678"  # the log itself holds no personal data
    rows = list(csv.reader(io.StringIO(ada.get("/api/audit.csv").text)))
    assert rows[0][:4] == ["id", "at", "actor", "action"] and len(rows) == 3
