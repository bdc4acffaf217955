"""SLA targets through the API (admins set them), and each hand-over's clocks in the queue."""

from __future__ import annotations

from typing import Any

from console.core.security import hash_password
from desk.store import DeskStore
from tests.console.conftest import PASSWORD, sign_in
from tests.console.test_api import escalate

NORMAL = {"first_response_s": 120, "next_response_s": 300, "resolution_s": 3600}


def test_only_admins_set_the_targets_and_the_queue_shows_the_clocks(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    store.create_agent("ada", display_name="Ada", role="admin", password_hash=hash_password(PASSWORD))
    ann, olga, ada = sign_in(app, rasa, "ann"), sign_in(app, rasa, "olga"), sign_in(app, rasa, "ada")
    assert olga.get("/api/sla").json()["levels"]["urgent"] == {"first_response_s": 60, "next_response_s": 300,
                                                                "resolution_s": 1800}
    assert ann.put("/api/sla", json={"levels": {"normal": NORMAL}}).status_code == 403
    assert ada.put("/api/sla", json={"levels": {"critical": NORMAL}}).status_code == 422
    assert ada.put("/api/sla", json={"levels": {"normal": {**NORMAL, "resolution_s": 0}}}).status_code == 422
    assert ada.put("/api/sla", json={"levels": {}}).status_code == 422
    changed = ada.put("/api/sla", json={"levels": {"high": NORMAL}})
    assert changed.status_code == 200 and changed.json()["levels"]["high"] == NORMAL
    escalate(store, "c-sla", frustration=0.2)
    [item] = ann.get("/api/queue").json()["escalations"]
    clock = item["sla"]
    assert clock["level"] == "high" and clock["targets"] == NORMAL  # handed over for frustration
    assert clock["first_response_due"] and clock["next_response_due"] is None and clock["breaches"] == []
    token = ada.headers.pop("X-CSRF-Token")
    assert ada.put("/api/sla", json={"levels": {"normal": NORMAL}}).status_code == 403
    ada.headers["X-CSRF-Token"] = token
