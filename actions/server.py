"""The action server: rasa-sdk's app (actions at /webhook) plus `/kb/signal` and `/kb/signals` (several messages at
once), which Rasa's KB-aware routing asks.

`python -m actions.server --port 5055` takes rasa-sdk's own arguments. The endpoint lives here, not in a service
of its own, because the embedding model and the index are already loaded in this process for the FAQ actions.
"""

from __future__ import annotations

import asyncio
import logging
import os
from functools import partial
from typing import Any, NamedTuple

from rasa_sdk import utils
from rasa_sdk.constants import APPLICATION_ROOT_LOGGER_NAME, DEFAULT_KEEP_ALIVE_TIMEOUT
from rasa_sdk.endpoint import create_app_for_serve, create_argument_parser
from rasa_sdk.executor import ActionExecutor
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from actions.clients import kb
from kefu.config import get_settings
from knowledge_base.errors import KnowledgeBaseError

logger = logging.getLogger(__name__)
LANGUAGES = ("zh", "en")
# The most messages one /kb/signals request may carry (an NLU worker sends at most KEFU_NLU_MAX_BATCH, 2 by default).
MAX_SIGNALS = 32


def error(status: int, code: str, message: str) -> HTTPResponse:
    """A JSON error body with a machine-readable code and a sentence for people."""
    return response.json({"error": code, "message": message}, status=status)


class Refusal(NamedTuple):
    """Why one /kb/signal question is refused: the HTTP status, a machine-readable code, a sentence for people."""

    status: int
    code: str
    message: str


def checked_question(body: Any) -> tuple[str, str | None] | Refusal:
    """(text, language) of one /kb/signal question, or why it is refused."""
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"].strip():
        return Refusal(400, "EmptyText", "Send {\"text\": \"...\"} with a non-empty text.")
    text = body["text"].strip()
    limit = get_settings().max_message_chars
    if len(text) > limit:
        return Refusal(413, "MessageTooLong", f"The text is longer than {limit} characters.")
    return text, body.get("lang") if body.get("lang") in LANGUAGES else None


def kb_blueprint() -> Blueprint:
    """GET /kb/health; POST /kb/signal {"text", "lang"?} → the KB's decision, best score, margin, shop or not;
    POST /kb/signals the same for several."""
    blueprint = Blueprint("kb_signal", url_prefix="/kb")

    @blueprint.get("/health")
    async def read_health(request: Request) -> HTTPResponse:
        """200 once the model and index are loaded (or failed to: the FAQ actions then say so), 503 before."""
        if not kb.warmed.is_set():
            return response.json({"status": "warming_up"}, status=503)
        return response.json({"status": "ok"})

    @blueprint.post("/signal")
    async def read_signal(request: Request) -> HTTPResponse:
        try:
            body: Any = request.json
        except Exception:  # Sanic raises its own BadRequest for a body that is not JSON
            return error(400, "InvalidJSON", "The request body is not valid JSON.")
        question = checked_question(body)
        if isinstance(question, Refusal):
            return error(*question)
        try:
            result = await asyncio.to_thread(kb.ask, *question)
        except KnowledgeBaseError as exc:
            return error(503, "KnowledgeBaseUnavailable", str(exc))
        return response.json(kb.signal(result))

    @blueprint.post("/signals")
    async def read_signals(request: Request) -> HTTPResponse:
        """{"items": [{"text", "lang"?}, ...]} → {"signals": [...]}, in order: each what /kb/signal answers for it,
        or {"error", "message"} for an item it would refuse. The model runs once for all of them."""
        try:
            body: Any = request.json
        except Exception:
            return error(400, "InvalidJSON", "The request body is not valid JSON.")
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return error(400, "NoItems", "Send {\"items\": [{\"text\": \"...\"}, ...]} with at least one item.")
        if len(items) > MAX_SIGNALS:
            return error(413, "TooManyItems", f"Send at most {MAX_SIGNALS} items at a time.")
        checked = [checked_question(item) for item in items]
        questions = [q for q in checked if not isinstance(q, Refusal)]
        try:
            results = iter(await asyncio.to_thread(kb.ask_each, questions) if questions else [])
        except KnowledgeBaseError as exc:
            return error(503, "KnowledgeBaseUnavailable", str(exc))
        signals = [{"error": q.code, "message": q.message} if isinstance(q, Refusal) else kb.signal(next(results))
                   for q in checked]
        return response.json({"signals": signals})

    return blueprint


def create_app(executor: ActionExecutor, cors: Any, endpoints: str) -> Sanic:
    """rasa-sdk's app with the KB blueprint (module level: Sanic's workers rebuild the app from this factory)."""
    app = create_app_for_serve(executor, cors_origins=cors, endpoints=endpoints,
                               keep_alive_timeout=DEFAULT_KEEP_ALIVE_TIMEOUT)
    app.blueprint(kb_blueprint())
    if os.environ.get("KEFU_WARM_UP") == "1":
        # In each worker as it starts, not in Sanic's main process (which serves nothing and would hold a second
        # copy of the model).
        app.register_listener(warm_up, "before_server_start")
    return app


async def warm_up(app: Sanic, _: Any) -> None:
    """Start loading the embedding model and index (GET /kb/health answers 200 once they are in)."""
    kb.start_warm_up()


def main() -> None:
    """Run the action server as rasa-sdk's own `python -m rasa_sdk` would, with the extra endpoint."""
    args = create_argument_parser().parse_args()
    utils.configure_colored_logging(args.loglevel)
    utils.configure_file_logging(logging.getLogger(APPLICATION_ROOT_LOGGER_NAME), args.log_file, args.loglevel,
                                 args.logging_config_file)
    utils.update_sanic_log_level()
    executor = ActionExecutor()
    executor.register_package(args.actions_module or args.actions)
    loader = AppLoader(factory=partial(create_app, executor, args.cors, args.endpoints))
    app = loader.load()
    host = get_settings().host
    app.prepare(host=host, port=args.port, workers=utils.number_of_sanic_workers())
    logger.info("action server on http://%s:%s (actions at /webhook, KB routing at /kb/signal)", host, args.port)
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
