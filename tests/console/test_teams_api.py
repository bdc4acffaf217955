"""Teams through the API: admins keep them, agents move hand-overs between them, the queue shows each one's team."""

from __future__ import annotations

from typing import Any

from console.core.security import hash_password
from desk.store import DeskStore
from tests.console.conftest import PASSWORD, sign_in


def test_admins_keep_teams_and_agents_move_hand_overs(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    store.create_agent("ada", display_name="Ada", role="admin", password_hash=hash_password(PASSWORD))
    ann, olga, ada = sign_in(app, rasa, "ann"), sign_in(app, rasa, "olga"), sign_in(app, rasa, "ada")
    ann_id = next(a["id"] for a in store.agents() if a["username"] == "ann")
    assert {t["name"] for t in olga.get("/api/teams").json()} >= {"After-sales", "Invoices & payment"}
    body = {"name": "Privacy", "categories": ["privacy"], "auto_assign": False, "member_ids": [ann_id]}
    assert ann.post("/api/teams", json=body).status_code == 403
    made = ada.post("/api/teams", json=body)
    assert made.status_code == 201, made.text
    team = made.json()
    assert team["members"] == [{"id": ann_id, "display_name": "Ann"}] and team["auto_assign"] is False
    assert ada.post("/api/teams", json=body).status_code == 409
    assert ada.post("/api/teams", json={**body, "name": "X", "categories": ["a b"]}).status_code == 422
    assert ada.put(f"/api/teams/{team['id']}", json={**body, "member_ids": [9999]}).status_code == 422
    assert ada.put("/api/teams/9999", json=body).status_code == 404

    e, _ = store.create_escalation("c-privacy", channel="socketio", language="en", tier="regular", trigger="request",
                                   reason="asked", frustration=0.1,
                                   summary={"kb_candidates": [{"faq_id": "p-1", "category": "privacy"}]})
    [item] = ann.get("/api/queue").json()["escalations"]
    assert item["team"] == {"id": team["id"], "name": "Privacy"} and item["category"] == "privacy"
    other = next(t["id"] for t in ann.get("/api/teams").json() if t["name"] == "After-sales")
    moved = ann.put(f"/api/escalations/{e['id']}/team", json={"team_id": other})
    assert moved.status_code == 200 and moved.json()["team"]["name"] == "After-sales"
    assert ann.put(f"/api/escalations/{e['id']}/team", json={"team_id": 9999}).status_code == 422
    assert olga.put(f"/api/escalations/{e['id']}/team", json={"team_id": None}).status_code == 403
    assert ann.delete(f"/api/teams/{team['id']}").status_code == 403
    assert ada.delete(f"/api/teams/{team['id']}").status_code == 204
    assert ada.delete(f"/api/teams/{team['id']}").status_code == 404
