"""`python -m bot.server run …`: Rasa's own `rasa` command, with Kefu's changes to how it spends CPU per message.

`make run` starts Rasa through this module instead of the `rasa` script. Each change below replaces one piece of
Rasa 3.6 that costs every customer message more than it needs, keeping its behaviour; each is measured in
README.md ("Load"), and tests/bot/test_server.py checks that it still behaves as Rasa's own does.

- Action-server responses are checked against the response schema with one validator built at start-up. Rasa
  calls `jsonschema.validate` per response, which first checks the schema itself against the JSON-Schema
  meta-schema and builds a new validator: 28% of Rasa's CPU under load, for a schema that never changes.
- Stored events find their class through a table built once. Rasa's `Event.resolve_by_type` walks every
  subclass of Event (and asks `inspect.isabstract` of each) for every event of every tracker it loads: 11% of
  Rasa's CPU under load.
- The domain goes to the action server once, not with every action call: with `enable_selective_domain` in
  endpoints.yml each call carries the domain's digest instead, and the action server (rasa-sdk 3.21 keeps the
  domain it was last sent) answers 449 when it does not hold that domain (it restarted), which this retries with
  the domain, as newer Rasa versions do. Rasa 3.6 knows no digest, so rasa-sdk would refuse every call without
  the domain, and with it the action server parsed 34 KB of domain per message.
- Calls to the action server reuse connections: Rasa's `EndpointConfig.request` opened a new aiohttp session,
  and so a new TCP connection, for every action call; here each event loop keeps one session per endpoint
  configuration, whose idle connections aiohttp closes after 15 s (before the action server's 120 s). Its JSON
  bodies (each action call carries the conversation's events) are encoded by orjson, not json: 10% of Rasa's CPU.
- NLU runs in a pool of worker processes (bot/nlu_pool.py, `KEFU_NLU_WORKERS`, 0 for Rasa's own way): the parse
  is awaited, so no customer's NLU (the sentiment model, DIET, the KB router's call to `/kb/signal`) holds up
  another's reply, and the NLU work spreads over the cores. Rasa's process then loads only the dialogue part of
  the graph.
- An action server that cannot be reached, times out (KEFU_ACTION_TIMEOUT_S, 30 s; Rasa waits 5 minutes) or
  fails with a 5xx gets the customer `utter_assistant_unavailable`, once per message, instead of silence; the
  custom session start (the welcome back) falls back to Rasa's own, so the session still starts. A first-time
  visitor's session starts the same way without calling the action server at all: nothing to welcome them back to.
- A customer whose message cannot be handled because the conversation store or the lock store is away (PostgreSQL
  or Redis restarting in the cluster profile, a SQLite file that cannot be written) gets
  `utter_assistant_unavailable` in their language instead of silence or an empty reply; nothing was stored, so the
  reply asks them to send it again shortly. Rasa 3.6 instead swaps in an empty in-memory tracker when its store
  fails (FailSafeTrackerStore): the bot then answers a customer as a stranger, one in a hand-over too, and keeps
  nothing of what they said; here the store's error is not swallowed.
- DIET loads without tracing a training graph it would use once (bot/model_load.py): Rasa (or each NLU worker)
  is back sooner after a restart.
- The policies' dialogue states are replayed once per event, not from the conversation's start at every
  prediction (bot/dialogue_states.py), and the states they copy only for debug logs are not copied otherwise.
  A tracker's applied events are worked out once per change of its events (bot/applied_events.py), and the copy
  each action runs on is made from the tracker's state, not by replaying the conversation (bot/tracker_copy.py).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import json
import logging
import os
import sys
import tarfile
import weakref
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Type, Union

from kefu.identity import VERIFIED
from kefu.vocabulary import ACTION_SESSION_START, ASSISTANT_UNAVAILABLE

logger = logging.getLogger(__name__)
NLU_WORKERS_ENV = "KEFU_NLU_WORKERS"
NLU_MAX_BATCH_ENV = "KEFU_NLU_MAX_BATCH"
# How long Rasa waits for one action call before it tells the customer (Rasa's own default: 5 minutes).
ACTION_TIMEOUT_ENV = "KEFU_ACTION_TIMEOUT_S"
DEFAULT_ACTION_TIMEOUT_S = 30


@functools.cache
def action_response_validator() -> Any:
    """One validator for Rasa's action-response schema, its schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.cache
def event_validators() -> Optional[Tuple[Any, Dict[str, Any]]]:
    """The response schema without its per-event `oneOf`, and one validator per event type: the common part with
    that type's own alternative. None if Rasa's schema is not shaped so (then only the full check runs)."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    schema = RemoteAction.action_response_format_spec()
    events = schema["properties"].get("events")
    alternatives = EVENT_SCHEMA.get("oneOf", [])
    consts = [alt.get("properties", {}).get("event", {}).get("const") for alt in alternatives]
    if events != {"type": "array", "items": EVENT_SCHEMA} or None in consts or len(set(consts)) != len(consts):
        return None
    cls = validator_for(schema)
    outer = {**schema, "properties": {**schema["properties"], "events": {"type": "array"}}}
    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    return cls(outer), {const: cls({**common, "allOf": [alt]}) for const, alt in zip(consts, alternatives, strict=True)}


def valid_action_result(result: Any) -> bool:
    """Whether the response is valid, as the full check would say, checking each event only against its own type.

    Each alternative of the events' `oneOf` fixes `event` to a different constant, so exactly one matches an event
    if and only if the one for its `event` does; the full check tries all 23 for every event (a twentieth of Rasa's
    CPU under load)."""
    validators = event_validators()
    if validators is None:
        return bool(action_response_validator().is_valid(result))
    outer, per_type = validators
    if not outer.is_valid(result):
        return False
    for event in result.get("events") or []:
        name = event.get("event") if isinstance(event, dict) else None
        validator = per_type.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once (same errors, same message)."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    if valid_action_result(result):
        return True
    try:  # invalid: the full check finds the error Rasa's would
        # What jsonschema.validate raises: the best-matching error, not merely the first.
        error = best_match(action_response_validator().iter_errors(result))
        if error is not None:
            raise error
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


_event_types: Dict[str, Any] = {}


def resolve_event_type(type_name: str, default: Optional[Type[Any]] = None) -> Optional[Type[Any]]:
    """Event.resolve_by_type through a table of the event classes; an unknown name asks Rasa's own (slow) walk,
    which also knows classes imported since the table was built."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    if not _event_types:
        for cls in all_subclasses(Event):
            _event_types.setdefault(cls.type_name, cls)  # the walk's first match wins, as in Rasa's loop
    found: Optional[Type[Any]] = _event_types.get(type_name)
    if found is not None:
        return found
    return _original["resolve_by_type"](type_name, default)  # type: ignore[no-any-return]


_original: Dict[str, Any] = {}
_current_pool: Dict[str, Any] = {}
# The pool main() starts for `run --model FILE` before Rasa's own imports, taken by load_model.
_early_pool: Dict[str, Any] = {}
# The digest of each domain (by id, holding the domain so that the id is not reused) and, per action server URL,
# the digest of the domain it was last sent.
_digests: Dict[int, Tuple[Any, str]] = {}
_domain_held: Dict[str, str] = {}
MISSING_DOMAIN = 449  # rasa-sdk: "Missing domain context, assistant will retry the request and include the domain"


class KeptSession:
    """An endpoint's aiohttp session, entered as Rasa enters its own (`async with endpoint.session()`), but left
    open for the next request."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


_sessions: weakref.WeakKeyDictionary[Any, Dict[str, Any]] = weakref.WeakKeyDictionary()


def fast_json(value: Any) -> str:
    """json.dumps for request bodies, by orjson (about 15 times faster on a conversation's state; the same JSON
    up to whitespace and escapes), else json.dumps for what orjson refuses."""
    import orjson

    try:
        encoded: bytes = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
        return encoded.decode("utf-8")
    except TypeError:
        return json.dumps(value)


def new_endpoint_session(endpoint: Any) -> Any:
    """EndpointConfig.session as Rasa 3.6 builds it (headers, basic auth, its default timeout), its JSON bodies
    encoded by orjson: every action call carries the conversation's events, whose encoding with json was a tenth
    of Rasa's CPU under load."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"]) \
        if endpoint.basic_auth else None
    return aiohttp.ClientSession(headers=endpoint.headers, auth=auth, json_serialize=fast_json,
                                 timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT))


def endpoint_session(self: Any) -> KeptSession:
    """EndpointConfig.session: the running loop's session for this endpoint's headers and credentials."""
    loop = asyncio.get_running_loop()
    key = repr((sorted(self.headers.items()), sorted(self.basic_auth.items())))
    per_loop = _sessions.setdefault(loop, {})
    session = per_loop.get(key)
    if session is None or session.closed:
        session = new_endpoint_session(self)
        per_loop[key] = session
    return KeptSession(session)


def domain_digest(domain: Any) -> str:
    """A digest of the domain's content (computed once per domain)."""
    known = _digests.get(id(domain))
    if known is None or known[0] is not domain:
        content = json.dumps(domain.as_dict(), sort_keys=True, ensure_ascii=False, default=str)
        known = (domain, hashlib.sha256(content.encode("utf-8")).hexdigest())
        _digests[id(domain)] = known
    return known[1]


def action_call_format(self: Any, tracker: Any, domain: Any) -> Dict[str, Any]:
    """RemoteAction._action_call_format with the domain's digest, and the domain itself only when the action
    server may not hold it yet (or the action asks for it, as validate_* forms do)."""
    body: Dict[str, Any] = _original["action_call_format"](self, tracker, domain)
    if not self._is_selective_domain_enabled():
        return body
    digest = domain_digest(domain)
    url = str(self.action_endpoint.url)
    body["domain_digest"] = digest
    if "domain" not in body and _domain_held.get(url) != digest:
        body["domain"] = domain.as_dict()
    if "domain" in body:
        _domain_held[url] = digest
    return body


async def run_remote_action(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> Any:
    """RemoteAction.run, once more with the domain when the action server says it does not hold it (449), and an
    honest reply instead of silence when the action server is away."""
    from rasa.core.actions.action import ActionSessionStart
    from rasa.shared.exceptions import RasaException
    from rasa.utils.endpoints import ClientResponseError

    if self.name() == ACTION_SESSION_START and first_visit(tracker):
        # Nothing to welcome a first-time visitor back to: Rasa's own session start, without the round trip.
        return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
    try:
        try:
            return await _original["remote_run"](self, output_channel, nlg, tracker, domain)
        except RasaException as exc:
            cause = exc.__cause__
            if not (isinstance(cause, ClientResponseError) and cause.status == MISSING_DOMAIN):
                raise
            logger.info("the action server asked for the domain; sending it with %s", self.name())
            if self.action_endpoint is not None:
                _domain_held.pop(str(self.action_endpoint.url), None)
            return await _original["remote_run"](self, output_channel, nlg, tracker, domain)
    except (RasaException, asyncio.TimeoutError) as exc:
        if not action_server_away(exc):
            raise
        if self.name() == ACTION_SESSION_START:  # Kefu's own (actions/welcome.py)
            # The welcome back is lost, not the session: Rasa's own session start carries the slots over (an
            # apology here would come twice, before and after the customer's message).
            logger.error("%s failed: the action server at %s is away (%s); Rasa's own session start instead",
                         self.name(), getattr(self.action_endpoint, "url", "?"), exc)
            return await ActionSessionStart().run(output_channel, nlg, tracker, domain)
        logger.error("%s failed: the action server at %s is away (%s); the customer is told so", self.name(),
                     getattr(self.action_endpoint, "url", "?"), exc)
        return await apology(nlg, tracker, output_channel)


def first_visit(tracker: Any) -> bool:
    """A conversation that has said nothing before and carries no verified shop id (kefu/identity.py) that could
    join it to the customer's others: Kefu's session start (actions/welcome.py) would have nothing to say."""
    from rasa.shared.core.events import UserUttered

    if any(isinstance(event, UserUttered) for event in tracker.events):
        return False
    metadata = tracker.get_slot("session_started_metadata")
    return not (isinstance(metadata, dict) and metadata.get(VERIFIED) is True)


def action_server_away(exc: BaseException) -> bool:
    """True when an action failed because the action server could not be reached, timed out or broke (5xx), not
    because it refused the call (Rasa's rejection and 4xx stay as they were)."""
    import aiohttp
    from rasa.utils.endpoints import ClientResponseError

    if isinstance(exc, asyncio.TimeoutError):
        return True
    for linked in (exc.__cause__, exc.__context__):
        if isinstance(linked, ClientResponseError):
            return bool(linked.status >= 500)
        if isinstance(linked, (aiohttp.ClientConnectionError, asyncio.TimeoutError)):
            return True
    return False


async def apology(nlg: Any, tracker: Any, output_channel: Any) -> Any:
    """utter_assistant_unavailable, once per customer message however many actions fail after it."""
    from rasa.core.actions.action import create_bot_utterance
    from rasa.shared.core.events import BotUttered, UserUttered

    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") == ASSISTANT_UNAVAILABLE:
            return []
    message = await nlg.generate(ASSISTANT_UNAVAILABLE, tracker, output_channel.name())
    if message is None:
        return []
    message["utter_action"] = ASSISTANT_UNAVAILABLE
    return [create_bot_utterance(message)]


# Failures of a store's server (the database, Redis), as opposed to errors in what was asked of it.
STORE_AWAY_ERRORS = {"OperationalError", "InterfaceError", "DisconnectionError", "TimeoutError", "ConnectionError",
                     "BusyLoadingError"}


def store_away(exc: BaseException) -> bool:
    """True when a message failed because the tracker store's database or the lock store could not be reached."""
    from rasa.core.lock_store import LockError

    if isinstance(exc, (LockError, ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__
    return module.startswith(("sqlalchemy", "psycopg2", "redis")) and type(exc).__name__ in STORE_AWAY_ERRORS


async def handle_message(self: Any, message: Any) -> Any:
    """Agent.handle_message, with an honest reply instead of silence when a store is away."""
    try:
        return await _original["handle_message"](self, message)
    except Exception as exc:
        if not store_away(exc):
            raise
        logger.error("message from %s not handled: a store is away (%s: %s); the customer is told so",
                     message.sender_id, type(exc).__name__, exc)
        await tell_unavailable(self.domain, message)
        return None


def raise_store_error(error: Exception) -> None:
    """FailSafeTrackerStore's error callback: let the error through instead of falling back to memory."""
    raise error


def create_tracker_store(store: Any, domain: Any) -> Any:
    """Agent._create_tracker_store, with a fail-safe wrapper that does not swallow the store's errors."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    tracker_store = _original["create_tracker_store"](store, domain)
    if isinstance(tracker_store, FailSafeTrackerStore):
        tracker_store._on_tracker_store_error = raise_store_error
    return tracker_store


async def tell_unavailable(domain: Any, message: Any) -> None:
    """utter_assistant_unavailable, in the language of the customer's text, sent straight to their channel."""
    from bot.channels.wechat.wording import response_text
    from bot.language import ZH, detect_language

    channel = message.output_channel
    text = response_text(dict(getattr(domain, "responses", None) or {}), ASSISTANT_UNAVAILABLE,
                         detect_language(message.text or "") or ZH, channel.name())
    if text:
        try:
            await channel.send_text_message(message.sender_id, text)
        except Exception as exc:  # the channel itself failed too: nothing more to do than say so
            logger.error("the unavailable notice to %s was not sent: %s", message.sender_id, exc)


def _whole_number(name: str, default: int, least: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < least:
        raise SystemExit(f"{name} must be {least} or more, not {value}")
    return value


def nlu_workers() -> int:
    """How many NLU worker processes to run (KEFU_NLU_WORKERS; 0 parses on Rasa's event loop, as Rasa does)."""
    return _whole_number(NLU_WORKERS_ENV, 0, 0)


def nlu_max_batch() -> int:
    """The most messages an NLU worker parses in one run of the graph (KEFU_NLU_MAX_BATCH, default 2)."""
    from bot.nlu_pool import DEFAULT_MAX_BATCH

    return _whole_number(NLU_MAX_BATCH_ENV, DEFAULT_MAX_BATCH, 1)


def load_model(model_path: Union[str, Path]) -> Tuple[str, Any, Any]:
    """MessageProcessor._load_model: with NLU workers, their pool starts beside the dialogue graph, which is all
    that Rasa's process loads; the pool hangs on the runner for parse_message."""
    workers = nlu_workers()
    if workers == 0:
        return _original["load_model"](model_path)  # type: ignore[no-any-return]
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.exceptions import ModelNotFound
    from rasa.model import get_latest_model
    from rasa.utils.common import TempDirectoryPath, get_temp_dir_name

    from bot.graph_runner import SequentialGraphRunner
    from bot.nlu_pool import NluPool

    model_tar = str(model_path) if os.path.isfile(model_path) else get_latest_model(model_path)
    if not model_tar:
        raise ModelNotFound(f"No model found at path '{model_path}'.")
    early = _early_pool.pop("launched", None)
    if early is not None and early[0].model_tar == Path(model_tar):
        pool, launched = early  # started by main() before Rasa's imports
    else:
        if early is not None:
            early[0].close_launched(early[1])
        pool = NluPool(Path(model_tar), workers, nlu_max_batch())
        launched = pool.launch()  # the workers load the NLU graph while this process loads the dialogue graph
    logger.info("Loading model %s (dialogue here, NLU in %d workers)...", model_tar, workers)
    try:
        with TempDirectoryPath(get_temp_dir_name()) as temporary_directory:
            model_storage, metadata = LocalModelStorage.from_model_archive(
                storage_path=Path(temporary_directory), model_archive_path=Path(model_tar))
            schema = metadata.predict_schema.minimal_graph_schema([metadata.core_target])
            runner = SequentialGraphRunner.create(
                graph_schema=schema, model_storage=model_storage,
                execution_context=ExecutionContext(graph_schema=schema, model_id=metadata.model_id))
    except tarfile.ReadError:
        pool.close()
        raise ModelNotFound(f"Model {model_path} can not be loaded.") from None
    pool.wait_ready(launched, need=1)  # serve once one worker has loaded; the others join as they finish
    runner.kefu_nlu_pool = pool
    # A new model (Rasa's PUT /model) replaces the pool of the one it replaces.
    previous = _current_pool.pop("pool", None)
    _current_pool["pool"] = pool
    if previous is not None:
        previous.close()
    return os.path.basename(model_tar), metadata, runner


async def parse_message(self: Any, message: Any, tracker: Any = None,
                        only_output_properties: bool = True) -> Dict[str, Any]:
    """MessageProcessor.parse_message, with the graph's NLU in the processor's worker pool when it has one."""
    pool = getattr(self.graph_runner, "kefu_nlu_pool", None)
    if self.http_interpreter or pool is None:
        return await _original["parse_message"](self, message, tracker, only_output_properties)  # type: ignore
    parse_data: Dict[str, Any] = await pool.parse(message.text, message.message_id, message.metadata,
                                                  only_output_properties)
    self._update_full_retrieval_intent(parse_data)
    self._check_for_unseen_features(parse_data)
    return parse_data


class DebugOnlyCopy:
    """`copy` as Rasa's policy modules see it: their only deep copies are of the states they pass to debug logs,
    which Python evaluates, and so copies, at every log level (5% of the policies' time); here they are made only
    when Rasa logs at debug level."""

    copy = staticmethod(copy.copy)

    @staticmethod
    def deepcopy(value: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
        """copy.deepcopy when debug logging is on, else the value itself (the log drops it unread)."""
        return copy.deepcopy(value, memo) if logging.getLogger("rasa").isEnabledFor(logging.DEBUG) else value


# The Rasa modules whose every `copy.deepcopy` is an argument of a debug log (tests/bot/test_server.py checks).
DEBUG_ONLY_COPY_MODULES = ("rasa.core.policies.rule_policy", "rasa.core.policies.memoization")


def tune_rasa() -> None:
    """Install Kefu's per-message savings into Rasa (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    from rasa.utils.endpoints import EndpointConfig

    _original.setdefault("endpoint_session", EndpointConfig.session)
    EndpointConfig.session = endpoint_session  # type: ignore[method-assign]
    _original.setdefault("action_call_format", RemoteAction._action_call_format)
    RemoteAction._action_call_format = action_call_format  # type: ignore[method-assign]
    _original.setdefault("remote_run", RemoteAction.run)
    RemoteAction.run = run_remote_action  # type: ignore[method-assign]
    _original.setdefault("resolve_by_type", Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign,assignment]
    import rasa.core.processor

    from bot.graph_runner import SequentialGraphRunner

    # Rasa's own loading (no NLU workers) builds its runner from the name the processor module imported.
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # type: ignore[misc]
    _original.setdefault("load_model", MessageProcessor._load_model)
    MessageProcessor._load_model = staticmethod(load_model)  # type: ignore[method-assign,assignment]
    from rasa.core.agent import Agent

    _original.setdefault("handle_message", Agent.handle_message)
    Agent.handle_message = handle_message  # type: ignore[method-assign]
    _original.setdefault("create_tracker_store", Agent._create_tracker_store)
    Agent._create_tracker_store = staticmethod(create_tracker_store)  # type: ignore[method-assign,assignment]
    _original.setdefault("parse_message", MessageProcessor.parse_message)
    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
    import rasa.core.actions.action

    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = _whole_number(ACTION_TIMEOUT_ENV, DEFAULT_ACTION_TIMEOUT_S, 1)
    from bot import applied_events, dialogue_states, feature_combine, model_load, tracker_copy

    applied_events.install()
    tracker_copy.install()
    dialogue_states.install()
    model_load.install()
    feature_combine.install()  # for Rasa's own NLU, when no NLU workers run it
    import importlib

    for name in DEBUG_ONLY_COPY_MODULES:
        importlib.import_module(name).copy = DebugOnlyCopy  # type: ignore[attr-defined]


def launch_early(argv: list[str]) -> None:
    """For `run --model FILE` with NLU workers: start the workers loading now, while this process spends seconds
    importing Rasa, so that Rasa answers that much sooner after `make run` or a crash; load_model takes them."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("command", nargs="?")
    parser.add_argument("-m", "--model")
    known, _ = parser.parse_known_args(argv)
    workers = nlu_workers()
    if known.command != "run" or not known.model or not os.path.isfile(known.model) or workers == 0:
        return
    from bot.nlu_pool import NluPool

    pool = NluPool(Path(known.model), workers, nlu_max_batch())
    _early_pool["launched"] = (pool, pool.launch())


def main() -> None:
    """Run the `rasa` command line (arguments as for `rasa`) with the savings installed."""
    launch_early(sys.argv[1:])
    tune_rasa()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
