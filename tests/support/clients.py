"""A socket.io customer and an agent on the desk's HTTP API and live feed, for the e2e tests, browser tests and
bench/handoff_latency.py."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import socketio


class Customer:
    """A customer on Rasa's socket.io channel (rasa-webchat's protocol), recording every bot message with its time."""

    def __init__(self, rasa_url: str, session_id: str | None = None, transports: tuple[str, ...] = ("websocket",)
                 ) -> None:
        self.session_id = session_id or f"cust-{uuid.uuid4().hex[:12]}"
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self._changed = threading.Condition()
        self.client = socketio.Client(reconnection=True)
        confirmed = threading.Event()
        # As the widget does, ask for the session on every connect: after a reconnect (the replica holding the
        # socket died, the network dropped) the new socket joins the session's room only through session_request.
        self.client.on("connect", lambda: self.client.emit("session_request", {"session_id": self.session_id}))
        self.client.on("session_confirm", lambda data: confirmed.set())
        self.client.on("bot_uttered", self._on_bot)
        self.typing: list[dict[str, Any]] = []  # kefu_typing events (an agent typing on the desk)
        self.client.on("kefu_typing", self._on_typing)
        self.client.connect(rasa_url, socketio_path="/socket.io", transports=list(transports))
        if not confirmed.wait(15):
            raise TimeoutError("no session_confirm")

    def _on_bot(self, data: dict[str, Any]) -> None:
        with self._changed:
            self.messages.append((time.monotonic(), data))
            self._changed.notify_all()

    def _on_typing(self, data: dict[str, Any]) -> None:
        with self._changed:
            self.typing.append(data)
            self._changed.notify_all()

    def wait_typing(self, timeout: float = 15.0) -> dict[str, Any]:
        """The first kefu_typing event."""
        with self._changed:
            if not self._changed.wait_for(lambda: bool(self.typing), timeout):
                raise TimeoutError("no kefu_typing event")
            return self.typing[0]

    def wait_message(self, check: Callable[[dict[str, Any]], bool], timeout: float = 30.0,
                     after: int = 0) -> dict[str, Any]:
        """The first bot message (from index `after`) that passes `check` (an image has no text)."""
        with self._changed:
            found: list[dict[str, Any]] = []

            def seen() -> bool:
                found[:] = [m for _, m in self.messages[after:] if check(m)][:1]
                return bool(found)

            if not self._changed.wait_for(seen, timeout):
                raise TimeoutError(f"no such bot message; got {[m for _, m in self.messages[after:]]}")
            return found[0]

    def say(self, text: str, metadata: dict[str, Any] | None = None) -> float:
        """Send a message (with the page's metadata, such as `customer_name`); returns when it was sent (monotonic
        seconds)."""
        sent = time.monotonic()
        data: dict[str, Any] = {"message": text, "session_id": self.session_id}
        if metadata:
            data["metadata"] = metadata
        self.client.emit("user_uttered", data)
        return sent

    def wait_for(self, check: Callable[[str], bool], timeout: float = 30.0, after: int = 0) -> tuple[float, dict]:
        """The first bot message (from index `after`) whose text passes `check`: (arrival time, message)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for at, message in self.messages[after:]:
                    if check(message.get("text") or ""):
                        return at, message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no such bot message; got {[m.get('text') for _, m in self.messages]}")
                self._changed.wait(left)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()


class Agent:
    """An agent signed in to the console's API, with the live feed (SSE) read in a thread."""

    def __init__(self, console_url: str, username: str, password: str) -> None:
        self.http = httpx.Client(base_url=console_url, timeout=30)
        resp = self.http.post("/api/auth/login", json={"username": username, "password": password})
        resp.raise_for_status()
        self.user = resp.json()["user"]
        self.http.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
        self.events: list[tuple[float, str, dict[str, Any]]] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        if not self._connected.wait(15):
            raise TimeoutError("no live feed")

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                with self.http.stream("GET", "/api/events", timeout=httpx.Timeout(30, read=None)) as resp:
                    self._connected.set()
                    kind = ""
                    for line in resp.iter_lines():
                        if self._stop.is_set():
                            return
                        if line.startswith("event: "):
                            kind = line[7:]
                        elif line.startswith("data: "):
                            with self._changed:
                                self.events.append((time.monotonic(), kind, json.loads(line[6:])))
                                self._changed.notify_all()
            except httpx.HTTPError:
                time.sleep(0.5)  # the console restarted: reconnect, as a browser's EventSource does

    def wait_event(self, kind: str, check: Callable[[dict[str, Any]], bool], timeout: float = 30.0,
                   after: int = 0) -> tuple[float, dict[str, Any]]:
        """The first live event of this kind (from index `after`) whose payload passes `check`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for at, got_kind, payload in self.events[after:]:
                    if got_kind == kind and check(payload):
                        return at, payload
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {kind} event; got {[(k, p.get('id')) for _, k, p in self.events]}")
                self._changed.wait(left)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call that must succeed; returns the JSON body."""
        resp = self.http.request(method, path, **kwargs)
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def escalation_of(self, conversation_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """The active escalation of a conversation, from the queue (waits for it to appear)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.call("GET", "/api/queue")["escalations"]:
                if item["conversation_id"] == conversation_id:
                    return dict(item)
            time.sleep(0.2)
        raise TimeoutError(f"{conversation_id} never reached the queue")

    def close(self) -> None:
        """Stop the live feed."""
        self._stop.set()
        self.http.close()
