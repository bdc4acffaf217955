"""Locust: simulated customers on REST and socket.io, and hand-overs that an agent answers through the console API.

Run it through `python -m bench.load locust` (which starts the servers, creates the bench agent, counts CPU and
writes bench/results/), or by hand against running servers:

    .venv/bin/locust -f bench/load/locustfile.py --headless -u 200 -r 20 -t 2m --host http://127.0.0.1:5005 \
        --console-url http://127.0.0.1:8000 --agent bench --agent-password ... --think-min 3 --think-max 8

Each customer draws turns from bench.load.mix (FAQ questions in both languages, chit-chat, the order form with a
number). Socket.io customers count the time to the first bot message after each of theirs; a hand-over customer
asks for a person on socket.io, the agent claims and replies through the console's API, and the time until the
reply reaches the customer's socket is reported as "agent reply delivered" (a reply that never arrives fails).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
import requests
import socketio
from locust import HttpUser, User, events, task
from locust.env import Environment

from bench.load.mix import Mix

REPLY_TIMEOUT_S = 30.0
HEARTBEAT_S = 15.0
QUEUE_POLL_S = 0.5
# The bot's words when it puts a customer in the agents' queue (bot/domain/handoff.yml). A customer the bot hands
# over (frustration, repeated failures) waits for a person from then on and the bot stays quiet: the simulated
# customer leaves instead, counted under "handed over by the bot", since only the hand-over customers have an agent.
QUEUED = ("前面还有", "in the queue for a human agent")
_seeds = itertools.count(1)
# What the hand-over customers saw, written to --outcomes at the end for bench.load's summary.
OUTCOMES: dict[str, int] = {"agent_replies_sent": 0, "agent_replies_delivered": 0, "handed_over_by_the_bot": 0}


@events.init_command_line_parser.add_listener
def add_arguments(parser: Any) -> None:
    """Kefu's options: think time, the console and its bench agent, where to write the outcomes."""
    parser.add_argument("--think-min", type=float, default=3.0, help="least seconds between a customer's turns")
    parser.add_argument("--think-max", type=float, default=8.0, help="most seconds between a customer's turns")
    parser.add_argument("--console-url", default="http://127.0.0.1:8000")
    parser.add_argument("--agent", default="bench", help="a desk agent's user name (for hand-overs)")
    parser.add_argument("--agent-password", default="")
    parser.add_argument("--socket-transport", default="websocket", choices=["websocket", "polling"],
                        help="socket.io transport (polling is the widget's fallback)")
    parser.add_argument("--outcomes", default="", help="a JSON file for the hand-over outcomes")


def think(user: User) -> float:
    """Seconds to wait between turns, from --think-min/--think-max."""
    options = user.environment.parsed_options
    low = float(getattr(options, "think_min", 3.0)) if options else 3.0
    high = float(getattr(options, "think_max", 8.0)) if options else 8.0
    return random.uniform(low, max(low, high))


def handed_over(environment: Environment) -> None:
    """Count a customer the bot put in the agents' queue on its own (they leave the simulation)."""
    OUTCOMES["handed_over_by_the_bot"] += 1


def fire(environment: Environment, kind: str, name: str, started: float, error: Exception | None = None,
         length: int = 0) -> None:
    """Report one measured request to Locust."""
    environment.events.request.fire(request_type=kind, name=name, response_time=(time.monotonic() - started) * 1000,
                                    response_length=length, exception=error, context={})


class RestCustomer(HttpUser):
    """A customer on Rasa's REST channel: each message's reply is the HTTP response."""

    weight = 6
    wait_time = think

    def on_start(self) -> None:
        self.mix = Mix(next(_seeds))
        self.turns_left = 0

    @task
    def turn(self) -> None:
        if self.turns_left <= 0:  # a new customer (conversation)
            self.sender = f"load-rest-{uuid.uuid4().hex[:10]}"
            self.turns_left = self.mix.conversation_turns()
        self.turns_left -= 1
        kind, messages = self.mix.turn()
        for text in messages:
            with self.client.post("/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                                  name=f"rest {kind}", catch_response=True) as resp:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code}")
                    continue
                replies = " ".join(str(m.get("text") or "") for m in resp.json())
                if not replies:
                    resp.failure("no reply text")
                elif any(q in replies for q in QUEUED):
                    handed_over(self.environment)
                    self.turns_left = 0
                    return


class SocketSession:
    """One socket.io customer (rasa-webchat's protocol) that records the bot's messages as they arrive."""

    def __init__(self, url: str, transport: str) -> None:
        self.session_id = f"load-sio-{uuid.uuid4().hex[:10]}"
        self.messages: list[str] = []
        self.queued = False  # the bot put this customer in the agents' queue
        self.changed = threading.Condition()
        self.drops = 0  # connections lost (and made again) since the session began
        self.closing = False
        self.client = socketio.Client(reconnection=True)
        confirmed = threading.Event()
        # As the widget does, ask for the session on every connect: a reconnected socket has a new sid, which is
        # in the session's room (where Rasa sends the replies) only after a session_request.
        self.client.on("connect", lambda: self.client.emit("session_request", {"session_id": self.session_id}))
        self.client.on("disconnect", self._on_drop)
        self.client.on("session_confirm", lambda data: confirmed.set())
        self.client.on("bot_uttered", self._on_bot)
        # A browser's socket.io client waits 20 s for the connection; python-socketio's default is 1 s.
        self.client.connect(url, socketio_path="/socket.io", transports=[transport], wait_timeout=20)
        if not confirmed.wait(REPLY_TIMEOUT_S):
            raise TimeoutError("no session_confirm")

    def _on_drop(self, *reason: Any) -> None:
        self.drops += not self.closing

    def _on_bot(self, data: dict[str, Any]) -> None:
        with self.changed:
            text = str(data.get("text") or "")
            self.messages.append(text)
            self.queued = self.queued or any(q in text for q in QUEUED)
            self.changed.notify_all()

    def say(self, text: str) -> int:
        """Send a message; returns how many bot messages had arrived before it."""
        with self.changed:
            seen = len(self.messages)
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        return seen

    def wait(self, after: int, check: Any = None, timeout: float = REPLY_TIMEOUT_S) -> str:
        """The first bot message after index `after` (that passes `check`); TimeoutError when none comes."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for text in self.messages[after:]:
                    if check is None or check(text):
                        return text
                left = deadline - time.monotonic()
                if left <= 0:
                    dropped = f" (the connection dropped {self.drops} times)" if self.drops else ""
                    raise TimeoutError(f"no bot message within {timeout:.0f} s{dropped}")
                self.changed.wait(left)

    def settle(self, quiet: float = 0.3, most: float = 2.0) -> None:
        """Wait until the bot has been quiet for `quiet` s (at most `most` s): the rest of a reply that came in
        several messages, as a person reads before typing (the hand-over notice follows the apology)."""
        deadline = time.monotonic() + most
        with self.changed:
            while time.monotonic() < deadline:
                count = len(self.messages)
                self.changed.wait(quiet)
                if len(self.messages) == count:
                    return

    def close(self) -> None:
        """Disconnect (without waiting more than a few seconds for a socket that does not answer)."""
        self.closing = True
        with gevent.Timeout(5, False):
            self.client.disconnect()


class SocketCustomer(User):
    """A customer on socket.io (the web chat): the time to the first bot message after each message."""

    weight = 3
    wait_time = think

    def on_start(self) -> None:
        self.mix = Mix(next(_seeds))
        self.session: SocketSession | None = None
        self.turns_left = 0

    def connect(self) -> None:
        """A new customer: a new socket and conversation (a failed connect is reported and tried again)."""
        if self.session is not None:
            self.session.close()
            self.session = None
        started = time.monotonic()
        options = self.environment.parsed_options
        try:
            self.session = SocketSession(self.host, getattr(options, "socket_transport", "websocket"))
            fire(self.environment, "socket.io", "connect", started)
            self.turns_left = self.mix.conversation_turns()
        except Exception as exc:  # reported to Locust as a failed connect, not a crash of the run
            fire(self.environment, "socket.io", "connect", started, exc)

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.close()

    @task
    def turn(self) -> None:
        if self.session is None or self.turns_left <= 0:
            self.connect()
            if self.session is None:
                return
        self.turns_left -= 1
        kind, messages = self.mix.turn()
        for text in messages:
            started = time.monotonic()
            try:
                reply = self.session.wait(self.session.say(text))
                fire(self.environment, "socket.io", f"socket.io {kind}", started, length=len(reply))
                self.session.settle()
            except TimeoutError as exc:
                fire(self.environment, "socket.io", f"socket.io {kind}", started, exc)
            if self.session.queued:
                handed_over(self.environment)
                self.turns_left = 0
                return


class DeskAgent:
    """The bench agent on the console's API: signed in once per Locust process, online while the run lasts."""

    _lock = threading.Lock()
    _shared: DeskAgent | None = None

    def __init__(self, console_url: str, username: str, password: str) -> None:
        self.http = requests.Session()
        self.base = console_url.rstrip("/")
        resp = self.http.post(f"{self.base}/api/auth/login", json={"username": username, "password": password})
        resp.raise_for_status()
        self.http.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
        self.call("POST", "/api/presence", json={"status": "online"})
        self.queue: list[dict[str, Any]] = []
        gevent.spawn(self._heartbeat)
        gevent.spawn(self._poll_queue)

    @classmethod
    def shared(cls, environment: Environment) -> DeskAgent:
        """The one agent of this Locust process."""
        with cls._lock:
            if cls._shared is None:
                options = environment.parsed_options
                cls._shared = cls(options.console_url, options.agent, options.agent_password)
            return cls._shared

    def _heartbeat(self) -> None:
        while True:
            gevent.sleep(HEARTBEAT_S)
            with contextlib.suppress(requests.RequestException):  # the next beat tries again
                self.call("POST", "/api/presence", json={"status": "online"})

    def _poll_queue(self) -> None:
        """One reader of the desk's queue for all hand-over customers (a desk page keeps one live view too)."""
        while True:
            with contextlib.suppress(requests.RequestException, RuntimeError):
                self.queue = self.call("GET", "/api/queue")["escalations"]
            gevent.sleep(QUEUE_POLL_S)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call that must succeed; returns the JSON body."""
        resp = self.http.request(method, self.base + path, timeout=REPLY_TIMEOUT_S, **kwargs)
        if resp.status_code >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status_code} {resp.text[:200]}")
        return resp.json() if resp.content else None

    def escalation_of(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's waiting escalation, from the queue (polled until it appears)."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while time.monotonic() < deadline:
            for item in self.queue:
                if item["conversation_id"] == conversation_id and item["status"] == "waiting":
                    return dict(item)
            gevent.sleep(QUEUE_POLL_S / 2)
        raise TimeoutError(f"{conversation_id} never reached the queue")


class HandoverCustomer(User):
    """A socket.io customer who asks for a person; the agent claims, replies through the console API and resolves."""

    weight = 1
    wait_time = think

    def on_start(self) -> None:
        self.session: SocketSession | None = None
        options = self.environment.parsed_options
        self.session = SocketSession(self.host, getattr(options, "socket_transport", "websocket"))
        self.agent = DeskAgent.shared(self.environment)

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.close()

    @task
    def hand_over(self) -> None:
        assert self.session is not None
        session = self.session
        started = time.monotonic()
        try:
            session.wait(session.say(random.choice(["转人工", "I want to talk to a person"])))
            escalation = self.agent.escalation_of(session.session_id)
            fire(self.environment, "hand-over", "customer to queue", started)
        except (TimeoutError, RuntimeError, requests.RequestException) as exc:
            fire(self.environment, "hand-over", "customer to queue", started, exc)
            return
        path = f"/api/escalations/{escalation['id']}"
        text = f"agent reply {uuid.uuid4().hex[:8]}"
        try:
            self.agent.call("POST", f"{path}/claim")
            seen = len(session.messages)
            started = time.monotonic()
            self.agent.call("POST", f"{path}/reply", json={"text": text})
            OUTCOMES["agent_replies_sent"] += 1
            session.wait(seen, lambda t: t == text)
            OUTCOMES["agent_replies_delivered"] += 1
            fire(self.environment, "hand-over", "agent reply delivered", started)
        except (TimeoutError, RuntimeError, requests.RequestException) as exc:
            fire(self.environment, "hand-over", "agent reply delivered", started, exc)
        finally:
            # Already resolved or never claimed: the next hand-over starts a new escalation either way.
            with contextlib.suppress(RuntimeError, requests.RequestException):
                self.agent.call("POST", f"{path}/resolve")


@events.quitting.add_listener
def write_outcomes(environment: Environment, **kwargs: Any) -> None:
    """Write the hand-over outcomes where --outcomes says."""
    options = environment.parsed_options
    if options is not None and getattr(options, "outcomes", ""):
        Path(options.outcomes).write_text(json.dumps(OUTCOMES) + "\n", encoding="utf-8")
