"""Under load nothing waits on another customer: with a deliberately slow `/kb/signal` (a fake action server that
sleeps), another conversation's greeting is answered while the slow lookup is still pending; and the socket.io
polling fallback (the widget's, where WebSockets are blocked) carries a whole hand-over with NLU in two workers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from console.core.security import hash_password
from desk.service import desk_store
from kefu.config import Settings
from kefu.serve import Supervisor
from tests.e2e.conftest import free_port, say, texts
from tests.support.clients import Agent, Customer
from tests.support.fake_http import send_json

SLOW_S = 0.9  # below the router's 1 s timeout (config.yml), so the slow signal is used, not given up on
PASSWORD = "e2e-load-password-1"


class SlowKb(ThreadingHTTPServer):
    """A fake action server whose /kb/signal answers after SLOW_S; it records when each lookup began and ended."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", free_port()), SlowKbHandler)
        self.lookup_started = threading.Event()
        self.lookup_answered = threading.Event()


class SlowKbHandler(BaseHTTPRequestHandler):
    server: SlowKb

    def log_message(self, *args: object) -> None:
        """Quiet."""

    def _json(self, body: object) -> None:
        send_json(self, body)

    def do_GET(self) -> None:
        self._json({"status": "ok"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        call = json.loads(body) if body.startswith(b"{") else {}
        if not self.path.startswith("/kb/signal") and call.get("next_action") == "action_session_start":
            # Kefu's own session start (actions/welcome.py), as rasa-sdk answers it for a first-time customer.
            self._json({"events": [{"event": "session_started"}, {"event": "action", "name": "action_listen"}],
                        "responses": []})
        elif self.path.startswith("/kb/signal"):
            self.server.lookup_started.set()
            time.sleep(SLOW_S)
            self.server.lookup_answered.set()
            self._json({"decision": "unresolved", "score": 0.1, "margin": 0.0, "faq_id": None, "category": None,
                        "shop": True, "version": 1})
        else:  # any custom action (the FAQ answer): one reply
            self._json({"events": [], "responses": [{"text": "fake action reply"}]})


@pytest.fixture(scope="module")
def slow_kb_rasa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, SlowKb]]:
    fake = SlowKb()
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    settings = Settings(rasa_port=free_port(), action_port=fake.server_address[1], console_port=free_port(),
                        data_dir=tmp_path_factory.mktemp("kefu-slow-kb"), nlu_workers=2)
    supervisor = Supervisor(settings)
    supervisor.children = [c for c in supervisor.children if c.name == "rasa"]
    supervisor.start()
    supervisor.wait_for_nlu_workers()
    try:
        yield settings, fake
    finally:
        supervisor.stop()
        fake.shutdown()


@pytest.mark.embedded_only  # a Rasa of its own beside a fake action server
def test_a_greeting_is_answered_while_another_conversations_kb_lookup_is_slow(
        slow_kb_rasa: tuple[Settings, SlowKb]) -> None:
    settings, fake = slow_kb_rasa
    say(settings, "warm-up", "你好")
    fake.lookup_started.clear()
    fake.lookup_answered.clear()
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(say, settings, "slow-question", "退货运费谁出？")
        assert fake.lookup_started.wait(30), "the question never reached /kb/signal"
        started = time.monotonic()
        greeting = say(settings, "quick-greeting", "你好")
        waited = time.monotonic() - started
        # Answered while the other conversation's lookup was still pending: nothing waited for it.
        assert not fake.lookup_answered.is_set(), f"the greeting waited for the slow lookup ({waited:.2f} s)"
        assert "您好" in texts(greeting)
        assert "fake action reply" in texts(slow.result(timeout=30))
    assert fake.lookup_answered.is_set()


def test_socketio_polling_fallback_carries_a_hand_over_with_nlu_workers(
        kefu_servers: tuple[Settings, Supervisor]) -> None:
    settings, _ = kefu_servers
    assert settings.nlu_workers >= 2
    store = desk_store(settings)
    if store.credentials("e2e-load") is None:
        store.create_agent("e2e-load", display_name="Lin", role="agent", password_hash=hash_password(PASSWORD))
    agent = Agent(settings.console_url, "e2e-load", PASSWORD)
    agent.call("POST", "/api/presence", json={"status": "online"})
    customer = Customer(settings.rasa_url, transports=("polling",))
    try:
        assert customer.client.transport() == "polling"
        customer.say("你好")
        customer.wait_for(lambda t: "您好" in t)
        customer.say("转人工")
        customer.wait_for(lambda t: "前面还有" in t)
        escalation = agent.escalation_of(customer.session_id)
        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")
        customer.wait_for(lambda t: "Lin" in t, after=seen)
        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/reply", json={"text": "polling 也能收到吗？"})
        customer.wait_for(lambda t: t == "polling 也能收到吗？", after=seen)
        seen_events = len(agent.events)
        customer.say("收到了，谢谢")
        agent.wait_event("message", lambda m: m["text"] == "收到了，谢谢", after=seen_events)
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
    finally:
        customer.close()
        agent.call("POST", "/api/presence", json={"status": "away"})
        agent.close()
