"""Presence with busy, agents' capacity (admins only), and the console's auto-assignment loop telling the bot."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from console.core.live import auto_assign
from console.core.security import hash_password
from desk.store import DeskStore
from tests.console.conftest import PASSWORD, FakeRasa, sign_in
from tests.console.test_api import escalate


def test_agents_set_online_busy_or_away(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    ann = sign_in(app, rasa, "ann")
    assert ann.post("/api/presence", json={"status": "busy"}).json() == {"status": "busy"}
    me = next(a for a in ann.get("/api/agents").json() if a["username"] == "ann")
    assert (me["status"], me["online"], me["load"], me["capacity"]) == ("busy", True, 0, 3)
    assert ann.get("/api/queue").json()["agents_online"] == 1  # busy agents still serve the queue
    assert ann.post("/api/presence", json={"status": "asleep"}).status_code == 422
    bob = next(a for a in ann.get("/api/agents").json() if a["username"] == "bob")
    assert (bob["status"], bob["online"]) == ("offline", False)


def test_only_an_admin_sets_capacity(app_and_rasa: Any, store: DeskStore) -> None:
    app, rasa = app_and_rasa
    store.create_agent("ada", display_name="Ada", role="admin", password_hash=hash_password(PASSWORD))
    bob_id = next(a["id"] for a in store.agents() if a["username"] == "bob")
    ann, ada = sign_in(app, rasa, "ann"), sign_in(app, rasa, "ada")
    assert ann.put(f"/api/agents/{bob_id}/capacity", json={"capacity": 5}).status_code == 403
    changed = ada.put(f"/api/agents/{bob_id}/capacity", json={"capacity": 5})
    assert changed.status_code == 200 and changed.json()["capacity"] == 5
    assert next(a for a in store.agents() if a["id"] == bob_id)["capacity"] == 5
    assert ada.put(f"/api/agents/{bob_id}/capacity", json={"capacity": -1}).status_code == 422
    assert ada.put(f"/api/agents/{bob_id}/capacity", json={"capacity": 51}).status_code == 422
    assert ada.put("/api/agents/9999/capacity", json={"capacity": 1}).status_code == 404
    with TestClient(app) as anonymous:
        assert anonymous.put(f"/api/agents/{bob_id}/capacity", json={"capacity": 1}).status_code == 401
    no_csrf = TestClient(app)
    no_csrf.cookies = ada.cookies
    assert no_csrf.put(f"/api/agents/{bob_id}/capacity", json={"capacity": 1}).status_code == 403


def test_the_loop_assigns_and_the_customer_hears_who_joined(store: DeskStore) -> None:
    ann = next(a["id"] for a in store.agents() if a["username"] == "ann")
    store.set_capacity(ann, 1)
    store.set_presence(ann, "online")
    first, second = escalate(store, "first", 0.9), escalate(store, "second", 0.2)
    rasa = FakeRasa()

    async def one_round() -> None:
        changed = asyncio.Event()
        changed.set()
        task = asyncio.create_task(auto_assign(store, rasa, changed, every_s=10.0))  # type: ignore[arg-type]
        for _ in range(200):
            await asyncio.sleep(0.01)
            if rasa.sent:
                break
        task.cancel()

    asyncio.run(one_round())
    assert rasa.sent == [("first", "EXTERNAL_queue_update", None)]
    assert store.get_escalation(first["id"])["agent"]["id"] == ann
    assert store.get_escalation(second["id"])["status"] == "waiting"
