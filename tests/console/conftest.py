"""The console app on a throw-away database, with a fake Rasa that records the external events it is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from console.core.security import hash_password
from console.main import create_app
from desk.service import desk_store
from desk.store import DeskStore
from kefu.config import Settings

PASSWORD = "correct horse battery"


class FakeRasa:
    """Stands in for console.core.rasa.RasaClient."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any] | None]] = []

    async def trigger(self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None) -> None:
        self.sent.append((conversation_id, intent, entities))

    async def typing(self, conversation_id: str, typing: bool, agent_name: str) -> None:
        self.sent.append((conversation_id, "typing", {"typing": typing, "agent_name": agent_name}))

    async def close(self) -> None:
        pass


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, rasa_token="test-token")


@pytest.fixture
def store(settings: Settings) -> DeskStore:
    store = desk_store(settings)
    for name, role in (("ann", "agent"), ("bob", "agent"), ("olga", "ops")):
        store.create_agent(name, display_name=name.title(), role=role, password_hash=hash_password(PASSWORD))
    return store


@pytest.fixture
def app_and_rasa(settings: Settings, store: DeskStore) -> Iterator[tuple[Any, FakeRasa]]:
    app = create_app(settings, background=False)
    rasa = FakeRasa()
    yield app, rasa


def sign_in(app: Any, rasa: FakeRasa, username: str) -> TestClient:
    client = TestClient(app)
    client.__enter__()
    app.state.rasa = rasa
    resp = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    client.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
    return client
