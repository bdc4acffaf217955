"""NLU component that routes each message with the knowledge base's signal as well as Rasa's intent ranking.

The embedding model and the index live in the action server's environment; this component asks its
`/kb/signal` endpoint over HTTP (one keep-alive connection, a short timeout) and applies bot.routing.route. When
the action server cannot be reached it keeps Rasa's own intent and stops asking for a few seconds, so a dead
action server costs no latency on top of the failure it already is.

The message keeps what Rasa classified: `kb_route` in the parse data holds the original intent, the KB's signal
and the reason, for the actions (an answered complaint is acknowledged first), analytics and debugging.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple, TypeVar

import requests
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.routing import KbSignal, RoutingConfig, needs_kb, route

logger = logging.getLogger(__name__)
KB_ROUTE = "kb_route"
LANGUAGE_ENTITY = "language"
ORDER_NUMBER_ENTITY = "order_number"
T = TypeVar("T")


class Question(NamedTuple):
    """A message the KB should be asked about, with what routing needs of Rasa's reading of it."""

    text: str
    intent: str
    confidence: float
    language: Optional[str]
    has_number: bool


def signal_url(config: Dict[str, Any]) -> str:
    """The action server's /kb/signal URL: KEFU_KB_SIGNAL_URL, else next to KEFU_ACTION_URL's webhook."""
    explicit = os.environ.get("KEFU_KB_SIGNAL_URL") or config.get("url") or ""
    if explicit:
        return str(explicit)
    action_url = os.environ.get("KEFU_ACTION_URL", "http://127.0.0.1:5055/webhook")
    return action_url.rsplit("/webhook", 1)[0] + "/kb/signal"


class KbClient:
    """POSTs messages to /kb/signal (several at once to /kb/signals); after a failure it stays quiet for
    `retry_after_s` instead of timing out again."""

    def __init__(self, url: str, timeout_s: float, retry_after_s: float) -> None:
        self.url = url
        self.batch_url = url.rstrip("/") + "s"  # …/kb/signal → …/kb/signals
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self._session = requests.Session()
        self._down_until = 0.0
        self._no_batches = False  # an action server without /kb/signals (older): ask one at a time
        self._lock = threading.Lock()

    def signal(self, text: str, language: Optional[str]) -> Optional[KbSignal]:
        """The KB's signal for a message, or None when the action server is down or answers an error."""
        return self._ask(self.url, {"text": text, "lang": language}, KbSignal.from_dict)

    def signals(self, questions: List[Tuple[str, Optional[str]]]) -> List[Optional[KbSignal]]:
        """The KB's signal for each (text, language), in one request for two or more (the action server runs its
        model once for them); None for each when it is down, and for one it refuses."""
        if len(questions) < 2 or self._no_batches:
            return [self.signal(text, language) for text, language in questions]
        items = [{"text": text, "lang": language} for text, language in questions]

        def parse(body: Any) -> List[Optional[KbSignal]]:
            signals = body["signals"]
            if not isinstance(signals, list) or len(signals) != len(questions):
                raise ValueError(f"{len(questions)} questions but {body!r:.200} back")
            return [None if "error" in one else KbSignal.from_dict(one) for one in signals]

        try:
            return self._ask(self.batch_url, {"items": items}, parse, batch=True) or [None] * len(questions)
        except _NoBatches:
            self._no_batches = True
            logger.info("%s not found: asking about one message at a time", self.batch_url)
            return [self.signal(text, language) for text, language in questions]

    def _ask(self, url: str, body: Dict[str, Any], parse: Callable[[Any], T], batch: bool = False) -> Optional[T]:
        if time.monotonic() < self._down_until:
            return None
        try:
            with self._lock:  # a requests.Session is not thread-safe
                resp = self._session.post(url, json=body, timeout=self.timeout_s)
            if batch and resp.status_code == 404:
                raise _NoBatches()
            resp.raise_for_status()
            return parse(resp.json())
        except (requests.ConnectionError, requests.HTTPError, ValueError, KeyError, TypeError) as exc:
            # Down or failing: stop asking for a while, so every message does not pay for the failure.
            self._down_until = time.monotonic() + self.retry_after_s
            logger.warning("KB routing off for %.0f s: %s unreachable or failing (%s); Rasa's intent stands",
                           self.retry_after_s, url, exc)
            return None
        except requests.RequestException as exc:
            # Slow (busy, or still loading): these messages go by Rasa's intent; the next ones ask again.
            logger.warning("KB routing skipped a message: %s (%s)", url, exc)
            return None


class _NoBatches(Exception):
    """The action server has no /kb/signals."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class KnowledgeBaseRouter(GraphComponent):
    """Re-decides the intent of each message with the KB's best score and margin (after FallbackClassifier)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """HTTP settings and bot.routing.RoutingConfig's confidence levels."""
        return {"url": "", "timeout_s": 1.0, "retry_after_s": 10.0, **RoutingConfig().__dict__}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config
        self.routing = RoutingConfig.from_mapping(config)
        self.client = KbClient(signal_url(config), float(config["timeout_s"]), float(config["retry_after_s"]))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseRouter:
        """Create the component; it learns nothing."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Route each message; the original classification is kept under `kb_route`. The messages that need the
        KB are asked about together (one request, one run of its model)."""
        asking = []
        for message in messages:
            question = self._question(message)
            if question is not None:
                asking.append((message, question))
        signals = self.client.signals([(question.text, question.language) for _, question in asking])
        for (message, question), kb in zip(asking, signals, strict=True):
            self._route(message, question, kb)
        return messages

    def _question(self, message: Message) -> Optional[Question]:
        """What the KB should be asked about a message, or None when it need not be."""
        text = (message.get(TEXT) or "").strip()
        intent = message.get(INTENT) or {}
        name = str(intent.get(INTENT_NAME_KEY) or "")
        confidence = float(intent.get("confidence") or 0.0)
        entities = message.get(ENTITIES) or []
        if not name or not needs_kb(text, name, confidence, self.routing):
            return None
        language = next((e.get("value") for e in entities if e.get("entity") == LANGUAGE_ENTITY), None)
        has_number = any(e.get("entity") == ORDER_NUMBER_ENTITY for e in entities)
        return Question(text, name, confidence, language, has_number)

    def _route(self, message: Message, question: Question, kb: Optional[KbSignal]) -> None:
        text, name, confidence, _, has_number = question
        decided = route(text, name, confidence, has_number, kb, self.routing)
        info: Dict[str, Any] = {"intent": name, "confidence": round(confidence, 4), "reason": decided.reason,
                                "routed_from": decided.routed_from}
        if kb is not None:
            info["kb"] = {"decision": kb.decision, "score": round(kb.score, 4), "margin": round(kb.margin, 4),
                          "faq_id": kb.faq_id, "shop": kb.shop}
        message.set(KB_ROUTE, info, add_to_output=True)
        if decided.intent != name:
            self._set_intent(message, decided.intent)

    @staticmethod
    def _set_intent(message: Message, name: str) -> None:
        """Make `name` the top intent, with the confidence Rasa gave it (or the top one's when it gave none)."""
        intent = message.get(INTENT) or {}
        ranking = list(message.get(INTENT_RANKING_KEY) or [])
        ranked = next((r for r in ranking if r.get(INTENT_NAME_KEY) == name), None)
        confidence = float((ranked or intent).get("confidence") or 0.0)
        chosen = {INTENT_NAME_KEY: name, "confidence": confidence}
        message.set(INTENT, chosen, add_to_output=True)
        ranking = [chosen, *(r for r in ranking if r.get(INTENT_NAME_KEY) != name)]
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is."""
        return training_data

    @classmethod
    def validate_config(cls, config: Optional[Dict[str, Any]]) -> None:
        """Nothing to validate."""
