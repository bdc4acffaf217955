"""bot/server.py: Rasa's action-response check with the validator built once accepts and refuses exactly what
Rasa's own `jsonschema.validate` does, with the same message."""

from __future__ import annotations

from typing import Any, Dict

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import server
from tests.support.fake_http import send_json

GOOD: Dict[str, Any] = {"events": [{"event": "slot", "name": "language", "value": "zh"}],
                        "responses": [{"text": "您好"}]}
BAD = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list"},
    {"responses": ["not an object"]},
]


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer_faq", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_tuned_rasa_uses_one_validator_and_accepts_a_good_response() -> None:
    server.tune_rasa()
    action = remote_action()
    assert action._validate_action_result(GOOD) is True
    assert server.action_response_validator() is server.action_response_validator()


@pytest.mark.parametrize("response", BAD)
def test_a_bad_response_fails_as_with_rasas_own_check(response: Dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    server.tune_rasa()
    with pytest.raises(jsonschema.ValidationError) as ours:
        remote_action()._validate_action_result(response)
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def responses_to_check() -> list:
    """Good events of every kind the actions send, and broken variants of each."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActiveLoop,
        AllSlotsReset,
        BotUttered,
        FollowupAction,
        Restarted,
        SessionStarted,
        SlotSet,
        UserUttered,
    )

    parse = {"intent": {"name": "greet", "confidence": 0.9}, "entities": [{"entity": "order", "value": "KF1"}],
             "intent_ranking": [{"name": "greet", "confidence": 0.9}], "text": "hi"}
    good = [e.as_dict() for e in (
        UserUttered("hi", parse_data=parse), ActionExecuted("action_listen"), SlotSet("language", "zh"),
        BotUttered("您好", {"buttons": []}), SessionStarted(), ActiveLoop("order_status_form"),
        FollowupAction("action_listen"), Restarted(), AllSlotsReset())]
    broken = [{"event": "slot", "name": "x"}, {"event": "slot", "name": 3, "value": 1},
              {"event": "user", "text": 5}, {"event": "user", "parse_data": {"entities": [{"value": 1}]}},
              {"event": "user", "parse_data": {"intent": {"confidence": "high"}}},
              {"event": "action", "confidence": "high"}, {"event": "entities"}, {"event": "no_such_event"},
              {"event": ["slot"]}, {"event": None}, {"name": "x"}, "slot", 3, None,
              {"event": "bot", "timestamp": "now"}, {"event": "bot", "metadata": []}]
    cases: list = [{"events": [e], "responses": []} for e in good + broken]
    cases += [{"events": good, "responses": [{"text": "a"}]}, {"events": [*good, broken[0]]}, {}, {"events": []},
              {"responses": [{"text": "a"}, 3]}, {"events": "x"}, [], "text", {"events": None}]
    return cases


def test_the_per_type_check_agrees_with_the_full_schema() -> None:
    full = server.action_response_validator()
    assert server.event_validators() is not None  # Rasa's schema has the shape the per-type check relies on
    cases = responses_to_check()
    assert [server.valid_action_result(c) for c in cases] == [full.is_valid(c) for c in cases]
    assert sum(full.is_valid(c) for c in cases) >= 10 and sum(not full.is_valid(c) for c in cases) >= 20


def test_events_resolve_to_the_same_classes_as_rasas_walk() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    server.tune_rasa()
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("nonsense", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("nonsense")
    restored = Event.from_parameters({"event": "slot", "name": "language", "value": "en"})
    assert restored == SlotSet("language", "en")


class DomainKeepingActionServer:
    """Plays rasa-sdk 3.21's side: keeps the last domain it was sent, answers 449 to a call without a domain
    whose digest it does not hold, and records whether each call carried the domain."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        keeper = self
        self.digest: str | None = None
        self.carried: list[bool] = []
        self.clients: set[tuple[str, int]] = set()
        self.bodies: list[dict] = []
        self.auth: list[str | None] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the action server's Sanic

            def log_message(self, *args: object) -> None:
                """Quiet."""

            def do_POST(self) -> None:
                import json

                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                keeper.bodies.append(body)
                keeper.auth.append(self.headers.get("Authorization"))
                keeper.carried.append("domain" in body)
                keeper.clients.add(self.client_address)
                if "domain" in body:
                    keeper.digest = body.get("domain_digest")
                elif not body.get("domain_digest") or body["domain_digest"] != keeper.digest:
                    self._send(449, {"error": "Missing domain context", "action_name": body["next_action"]})
                    return
                self._send(200, {"events": [], "responses": [{"text": "answered"}]})

            def _send(self, status: int, payload: dict) -> None:
                send_json(self, payload, status)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"


def test_the_domain_goes_once_and_again_when_the_action_server_lost_it() -> None:
    import asyncio
    from pathlib import Path

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()
    fake = DomainKeepingActionServer()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")], slots=domain.slots)
    action = RemoteAction("action_answer_faq", EndpointConfig(fake.url, enable_selective_domain=True))

    def run() -> list:
        return asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
                                      tracker, domain))

    try:
        assert [e.text for e in run()] == ["answered"]
        assert [e.text for e in run()] == ["answered"]
        assert fake.carried == [True, False]  # sent once, then only its digest
        fake.digest = None  # the action server restarted
        assert [e.text for e in run()] == ["answered"]
        assert fake.carried == [True, False, False, True]  # refused with 449, then sent again
    finally:
        fake.server.shutdown()


def test_action_calls_on_one_event_loop_share_a_connection() -> None:
    import asyncio
    from pathlib import Path

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()
    fake = DomainKeepingActionServer()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")], slots=domain.slots)
    action = RemoteAction("action_answer_faq", EndpointConfig(fake.url))

    async def three() -> list:
        nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        return [await action.run(CollectingOutputChannel(), nlg, tracker, domain) for _ in range(3)]

    try:
        assert [[e.text for e in events] for events in asyncio.run(three())] == [["answered"]] * 3
        assert len(fake.clients) == 1  # one kept-alive connection, not one per call
    finally:
        fake.server.shutdown()


def test_action_calls_carry_what_rasa_would_send_encoded_by_orjson() -> None:
    import asyncio
    import json
    from pathlib import Path

    import numpy as np
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()
    fake = DomainKeepingActionServer()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    parse = {"intent": {"name": "ask_question", "confidence": 0.93}, "text": "退货运费谁出？\n\"包邮\"吗 😀",
             "sentiment": {"label": "neutral", "score": 0.71, "probabilities": {"negative": 0.1}}}
    tracker = DialogueStateTracker.from_events("t", [
        ActionExecuted("action_listen"), UserUttered(parse["text"], parse["intent"], parse_data=parse),
        SlotSet("language", "zh")], slots=domain.slots)
    action = RemoteAction("action_answer_faq", EndpointConfig(fake.url, basic_auth={"username": "u", "password": "p"}))
    expected = json.loads(json.dumps(RemoteAction._action_call_format(action, tracker, domain)))
    try:
        events = asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
                                        tracker, domain))
        assert [e.text for e in events] == ["answered"]
        [body] = fake.bodies
        assert body["tracker"] == expected["tracker"] and body["next_action"] == "action_answer_faq"
        assert body["tracker"]["latest_message"]["text"] == parse["text"]
        assert fake.auth == ["Basic dTpw"]  # the endpoint's credentials, as Rasa's own session sends them
    finally:
        fake.server.shutdown()
    # What orjson refuses (a set) fails as json.dumps fails; numbers and keys that json takes, orjson takes.
    assert json.loads(server.fast_json({1: np.float32(0.5), "a": [True, None]})) == {"1": 0.5, "a": [True, None]}
    with pytest.raises(TypeError):
        server.fast_json({"a": {1, 2}})


def test_the_policies_deep_copy_only_what_they_log_at_debug_level() -> None:
    import importlib
    import inspect
    import logging

    for name in server.DEBUG_ONLY_COPY_MODULES:
        lines = inspect.getsource(importlib.import_module(name)).splitlines()
        uses = [i for i, line in enumerate(lines) if "copy." in line and "import" not in line]
        assert uses, name
        for i in uses:
            assert "=copy.deepcopy(" in lines[i].replace(" ", ""), (name, lines[i])
            assert any("structlogger.debug(" in lines[j] for j in range(max(0, i - 3), i)), (name, lines[i])

    states = [{"user": {"intent": "greet"}}]
    rasa_logger = logging.getLogger("rasa")
    level = rasa_logger.level
    try:
        rasa_logger.setLevel(logging.INFO)
        assert server.DebugOnlyCopy.deepcopy(states) is states
        rasa_logger.setLevel(logging.DEBUG)
        copied = server.DebugOnlyCopy.deepcopy(states)
        assert copied == states and copied is not states and copied[0]["user"] is not states[0]["user"]
    finally:
        rasa_logger.setLevel(level)


class BrokenActionServer:
    """An action server that answers every call with one status (a 400 is rasa-sdk's rejection)."""

    def __init__(self, status: int) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                send_json(self, {"action_name": "action_answer_faq", "error": "rejected"}, status)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"


@pytest.mark.parametrize("away", ["refused", "502", "timeout"])
def test_an_action_server_that_is_away_gets_the_customer_one_honest_reply_per_message(away: str) -> None:
    import asyncio
    import socket
    from pathlib import Path

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    fake = None
    if away == "refused":
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}/webhook"
    elif away == "502":
        fake = BrokenActionServer(502)
        url = fake.url
    else:
        silent = socket.socket()  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/webhook"
    endpoint = EndpointConfig(url)
    tracker = DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), SlotSet("language", "en"),
              UserUttered("how do returns work", {"name": "faq", "confidence": 1.0})], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)

    async def two_failing_actions() -> tuple:
        import rasa.core.actions.action

        saved = rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT
        rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = 0.5
        try:
            first = await RemoteAction("action_answer_faq", endpoint).run(CollectingOutputChannel(), nlg, tracker,
                                                                          domain)
            tracker.update_with_events(first, domain)
            second = await RemoteAction("action_relay", endpoint).run(CollectingOutputChannel(), nlg, tracker,
                                                                      domain)
            return first, second
        finally:
            rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = saved

    try:
        first, second = asyncio.run(two_failing_actions())
    finally:
        if fake is not None:
            fake.server.shutdown()
        if away == "timeout":
            silent.close()
    assert [e.text for e in first] == [
        "Sorry, part of our system is having a problem, so I can't deal with that message right now. Please send it "
        "again in half a minute, or call 400-820-1234 (daily 9:00–21:00) if it's urgent."]
    assert second == []  # one apology per customer message


def test_a_rejection_or_a_4xx_from_the_action_server_is_not_called_an_outage() -> None:
    import asyncio
    from pathlib import Path

    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.exceptions import RasaException

    server.tune_rasa()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    for status, raised in ((400, ActionExecutionRejection), (404, RasaException)):
        fake = BrokenActionServer(status)
        try:
            with pytest.raises(raised):
                asyncio.run(RemoteAction("action_answer_faq", EndpointConfig(fake.url)).run(
                    CollectingOutputChannel(), nlg, tracker, domain))
        finally:
            fake.server.shutdown()


def test_the_action_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import rasa.core.actions.action

    saved = rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT
    try:
        monkeypatch.delenv(server.ACTION_TIMEOUT_ENV, raising=False)
        server.tune_rasa()
        assert rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT == 30
        monkeypatch.setenv(server.ACTION_TIMEOUT_ENV, "7")
        server.tune_rasa()
        assert rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT == 7
    finally:
        rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = saved


@pytest.mark.parametrize(("text", "start"), [("我的订单到哪了", "抱歉，系统暂时出了点问题"),
                                             ("where is my order", "Sorry, part of our")])
def test_a_store_that_is_away_gets_the_customer_an_honest_reply_in_their_language(
        text: str, start: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from pathlib import Path
    from types import SimpleNamespace

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.lock_store import LockError
    from rasa.shared.core.domain import Domain
    from sqlalchemy.exc import OperationalError

    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    for failure in (OperationalError("SELECT 1", {}, Exception("connection refused")), LockError("Redis is away")):
        async def failing(self: Any, message: Any, failure: Exception = failure) -> None:
            raise failure

        monkeypatch.setitem(server._original, "handle_message", failing)
        output = CollectingOutputChannel()
        asyncio.run(server.handle_message(SimpleNamespace(domain=domain), UserMessage(text, output, "c-away")))
        assert [m["text"][:len(start)] for m in output.messages] == [start]


def test_an_error_that_is_not_an_outage_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from types import SimpleNamespace

    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    async def failing(self: Any, message: Any) -> None:
        raise ValueError("a bug")

    monkeypatch.setitem(server._original, "handle_message", failing)
    with pytest.raises(ValueError):
        asyncio.run(server.handle_message(SimpleNamespace(domain=None),
                                          UserMessage("你好", CollectingOutputChannel(), "c-bug")))


def test_a_failing_tracker_store_is_not_swapped_for_an_empty_one_in_memory() -> None:
    """Rasa's FailSafeTrackerStore would answer with a new, empty tracker and keep nothing: the error goes through."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()

    class Away(InMemoryTrackerStore):
        async def retrieve(self, sender_id: str) -> Any:
            raise ConnectionError("the database is away")

        async def save(self, tracker: Any) -> None:
            raise ConnectionError("the database is away")

    store = Agent._create_tracker_store(Away(Domain.empty()), Domain.empty())
    with pytest.raises(ConnectionError):
        asyncio.run(store.retrieve("c1"))
    with pytest.raises(ConnectionError):
        asyncio.run(store.save(DialogueStateTracker("c1", [])))


def test_without_the_action_server_the_session_still_starts_as_rasa_starts_it() -> None:
    import asyncio
    import socket
    from pathlib import Path

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/webhook"
    tracker = DialogueStateTracker.from_events(
        "t", [ActionExecuted("action_listen"), SlotSet("language", "en"),
              UserUttered("hi", {"name": "greet", "confidence": 1.0})], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    events = asyncio.run(RemoteAction("action_session_start", EndpointConfig(url)).run(
        CollectingOutputChannel(), nlg, tracker, domain))
    # No apology (it would come twice with the message's own), the slots carried over, then listening.
    assert isinstance(events[0], SessionStarted) and SlotSet("language", "en") in events
    assert events[-1] == ActionExecuted("action_listen")


def test_a_first_time_visitor_starts_a_session_without_a_call_to_the_action_server() -> None:
    import asyncio
    from pathlib import Path

    from rasa.core.channels import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    server.tune_rasa()
    fake = DomainKeepingActionServer()
    domain = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    action = RemoteAction("action_session_start", EndpointConfig(fake.url))

    def start(events: list) -> list:
        tracker = DialogueStateTracker.from_events("t", events, slots=domain.slots)
        return asyncio.run(action.run(CollectingOutputChannel(), nlg, tracker, domain))

    try:
        new = start([SlotSet("session_started_metadata", {"customer_verified": "yes", "page": "/"})])
        assert isinstance(new[0], SessionStarted) and new[-1] == ActionExecuted("action_listen")
        assert fake.carried == []  # nothing to welcome back to: no call
        start([SlotSet("session_started_metadata", {"customer_id": "u-1", "customer_verified": True})])
        assert len(fake.carried) == 1  # a verified customer may have conversations elsewhere
        start([ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet", "confidence": 1.0})])
        assert len(fake.carried) == 2  # a returning one
    finally:
        fake.server.shutdown()


def test_run_with_a_model_file_starts_the_nlu_workers_before_rasas_imports(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from bot import nlu_pool

    launched: list = []
    monkeypatch.setattr(nlu_pool.NluPool, "launch", lambda self: launched.append(self.model_tar) or "started")
    monkeypatch.setenv(server.NLU_WORKERS_ENV, "2")
    model = tmp_path / "kefu.tar.gz"
    model.write_bytes(b"")
    try:
        for argv in (["shell", "--model", str(model)], ["run", "--model", str(tmp_path)], ["run"]):
            server.launch_early(argv)  # not `run`, not a file, no model: Rasa's own way finds the model
        assert launched == []
        monkeypatch.setenv(server.NLU_WORKERS_ENV, "0")
        server.launch_early(["run", "--model", str(model)])
        assert launched == []
        monkeypatch.setenv(server.NLU_WORKERS_ENV, "2")
        server.launch_early(["run", "--model", str(model), "--port", "5005"])
        assert launched == [model]
        pool, started = server._early_pool["launched"]
        assert (pool.workers, started) == (2, "started")
    finally:
        server._early_pool.clear()


def test_diet_loads_its_weights_without_tracing_a_training_graph() -> None:
    from rasa.utils.tensorflow.models import RasaModel

    from bot import model_load

    server.tune_rasa()
    assert RasaModel.load.__func__ is model_load.load  # type: ignore[attr-defined]
    # tests/bot/test_nlu_pool.py checks that workers loading this way parse exactly as Rasa's own loading does.
