"""Real servers on free loopback ports with a throw-away data folder holding the demo knowledge base."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from kefu.config import Settings
from kefu.serve import Supervisor
from knowledge_base import io, service
from knowledge_base.__main__ import DEMO_FILES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def kefu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data = tmp_path_factory.mktemp("kefu-data")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), data_dir=data, max_message_chars=2000,
                        kb_reload_check_s=0.5)
    entries = [e for path in DEMO_FILES for e in io.read_file(path)]
    service.store(settings).import_entries(entries, author="e2e")
    service.publish(settings)
    supervisor = Supervisor(settings, echo=False)
    supervisor.start()
    try:
        yield settings
    finally:
        supervisor.stop()


def say(settings: Settings, sender: str, text: str) -> list[dict]:
    resp = httpx.post(
        f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
