"""Real servers on free loopback ports with a throw-away data folder holding the demo knowledge base.

KEFU_E2E_PROFILE=cluster (`make test-cluster`) runs the same tests against the cluster profile instead: PostgreSQL,
Redis and HAProxy from Debian with two replicas of each server behind the proxy. Tests of the embedded default's
own machinery (its supervisor, its single-process load figures) carry the `embedded_only` mark and are skipped
there; tests/e2e/test_cluster.py starts a cluster of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from kefu.cluster import Cluster, free_port_base, proxy_ports
from kefu.config import Settings, get_settings
from kefu.serve import Supervisor
from knowledge_base import io, service
from knowledge_base.__main__ import DEMO_FILES
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS
from tests.support.wechat import FakeWeChat

PROFILE = os.environ.get("KEFU_E2E_PROFILE", "embedded")
if PROFILE not in ("embedded", "cluster"):
    raise ValueError(f"KEFU_E2E_PROFILE is embedded or cluster, not {PROFILE!r}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under the cluster profile, skip the tests of the embedded default's own machinery."""
    if PROFILE != "cluster":
        return
    embedded = pytest.mark.skip(reason="tests the embedded default's own supervisor or load (make test runs it)")
    own = pytest.mark.skip(reason="starts a cluster of its own (the first step of make test-cluster)")
    for item in items:
        if item.path.name == "test_cluster.py":
            item.add_marker(own)
        elif item.get_closest_marker("embedded_only"):
            item.add_marker(embedded)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for every browser test (Playwright drives it; nothing is downloaded)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WECHAT = {"wechat_token": "e2e-wechat-token", "wechat_appid": "wx-e2e-kefu", "wechat_secret": "e2e-secret",
          "wechat_encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}
# The shop's secret for signed customer ids (kefu/identity.py); tests sign with it as a shop's server would.
IDENTITY_SECRET = "e2e-identity-secret"


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChat]:
    fake = FakeWeChat(WECHAT["wechat_appid"], WECHAT["wechat_secret"])
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def kefu_servers(tmp_path_factory: pytest.TempPathFactory,
                 fake_wechat: FakeWeChat) -> Iterator[tuple[Settings, Supervisor]]:
    if PROFILE == "cluster":
        yield from cluster_servers(fake_wechat)
        return
    data = tmp_path_factory.mktemp("kefu-data")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), console_port=free_port(), data_dir=data,
                        max_message_chars=2000, kb_reload_check_s=0.5, wechat_api_base=fake_wechat.url,
                        desk_auto_assign=False, identity_secret=IDENTITY_SECRET, **WECHAT)
    entries = [e for path in DEMO_FILES for e in io.read_file(path)]
    service.store(settings).import_entries(entries, author="e2e")
    service.publish(settings)
    supervisor = Supervisor(settings, echo=False)
    supervisor.start()
    supervisor.wait_for_nlu_workers()
    try:
        yield settings, supervisor
    finally:
        supervisor.stop()


def cluster_servers(fake_wechat: FakeWeChat) -> Iterator[tuple[Settings, Supervisor]]:
    """The cluster profile with two replicas of each server, over the demo knowledge base."""
    # Not under pytest's temporary folder, which only root may enter: PostgreSQL runs as the `postgres` user.
    data = Path(tempfile.mkdtemp(prefix="kefu-e2e-cluster-"))
    data.chmod(0o755)
    # The index `make kb` built from the same demo knowledge base, so the cluster need not embed it again.
    shutil.copytree(get_settings().kb_index_path, data / "cluster" / "index")
    ports = free_port_base()
    base = Settings(**proxy_ports(ports), data_dir=data, cluster_port_base=ports, max_message_chars=2000,
                    kb_reload_check_s=0.5, wechat_api_base=fake_wechat.url, rasa_replicas=2, action_replicas=2,
                    console_replicas=2, desk_auto_assign=False, identity_secret=IDENTITY_SECRET, **WECHAT)
    cluster = Cluster.create(base)
    try:
        cluster.start()
        assert cluster.servers is not None
        cluster.servers.wait_for_nlu_workers()
        yield cluster.settings, cluster.servers
    finally:
        cluster.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def kefu(kefu_servers: tuple[Settings, Supervisor]) -> Settings:
    return kefu_servers[0]


def stop_server(supervisor: Supervisor, name: str) -> None:
    """Stop one of the servers (actions, console, rasa)."""
    next(c for c in supervisor.children if c.name == name).stop()


def start_server(supervisor: Supervisor, name: str) -> None:
    """Start a stopped server again, waiting until it answers."""
    child = next(c for c in supervisor.children if c.name == name)
    child.start(echo=False)
    deadline = time.monotonic() + 120
    while not child.is_ready():
        supervisor.check_alive()
        assert time.monotonic() < deadline, f"{name} did not come back"
        time.sleep(0.3)


def say(settings: Settings, sender: str, text: str) -> list[dict]:
    resp = httpx.post(
        f"{settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    """A query's rows as dicts, on SQLite or PostgreSQL alike (the cluster profile keeps every table there)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def has_han(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
