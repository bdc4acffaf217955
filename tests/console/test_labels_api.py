"""Labels through the API: admins keep the list, agents label conversations, the queue and the dashboard filter."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from console.core.security import hash_password
from desk.store import DeskStore
from tests.console.conftest import PASSWORD, FakeRasa, sign_in
from tests.console.test_api import escalate


def admin(app: Any, rasa: FakeRasa, store: DeskStore) -> TestClient:
    store.create_agent("ada", display_name="Ada", role="admin", password_hash=hash_password(PASSWORD))
    return sign_in(app, rasa, "ada")


def test_only_admins_keep_the_list_and_everyone_signed_in_reads_it(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ann, olga, ada = sign_in(app, rasa, "ann"), sign_in(app, rasa, "olga"), admin(app, rasa, store)
    assert {label["name"] for label in olga.get("/api/labels").json()} >= {"refund", "logistics"}
    assert ann.post("/api/labels", json={"name": "gift"}).status_code == 403
    made = ada.post("/api/labels", json={"name": "gift", "color": "pink"})
    assert made.status_code == 201 and made.json() == {"id": made.json()["id"], "name": "gift", "color": "pink",
                                                       "open": 0}
    path = f"/api/labels/{made.json()['id']}"
    assert ann.put(path, json={"name": "gifts"}).status_code == 403
    assert ada.put(path, json={"name": "gifts", "color": "mauve"}).status_code == 422
    assert ada.post("/api/labels", json={"name": "GIFT"}).status_code == 409
    assert ada.put(path, json={"name": "gifts", "color": "green"}).json()["name"] == "gifts"
    assert ann.delete(path).status_code == 403
    assert ada.delete(path).status_code == 204
    assert ada.delete(path).status_code == 404
    token = ada.headers.pop("X-CSRF-Token")
    assert ada.post("/api/labels", json={"name": "no token"}).status_code == 403
    ada.headers["X-CSRF-Token"] = token


def test_an_agent_labels_a_conversation_and_filters_the_queue(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ann = sign_in(app, rasa, "ann")
    first, second = escalate(store, "c-1", 0.9), escalate(store, "c-2", 0.2)
    ids = {label["name"]: label["id"] for label in ann.get("/api/labels").json()}
    labelled = ann.put(f"/api/escalations/{second['id']}/labels", json={"label_ids": [ids["refund"]]})
    assert labelled.status_code == 200 and [x["name"] for x in labelled.json()["labels"]] == ["refund"]
    queue = ann.get(f"/api/queue?label={ids['refund']}").json()["escalations"]
    assert [(e["id"], e["position"]) for e in queue] == [(second["id"], 2)]
    assert len(ann.get("/api/queue").json()["escalations"]) == 2
    assert ann.put(f"/api/escalations/{first['id']}/labels", json={"label_ids": [999]}).status_code == 422
    assert ann.put("/api/escalations/999/labels", json={"label_ids": []}).status_code == 404
    olga = sign_in(app, rasa, "olga")
    assert olga.put(f"/api/escalations/{first['id']}/labels", json={"label_ids": []}).status_code == 403
