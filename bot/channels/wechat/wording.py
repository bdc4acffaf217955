"""What the channel itself says to a customer: responses of the loaded domain, in the customer's language."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

from bot.channels.guard import MessageRejected
from bot.language import EN, ZH, detect_language

logger = logging.getLogger(__name__)

LANGUAGE_SLOT = "language"
# The guard's refusals a customer can cause from WeChat, and the responses that tell them (bot/domain/channels.yml).
REFUSALS = {"EmptyMessage": "utter_message_empty", "MessageTooLong": "utter_message_too_long"}


def response_text(responses: Dict[str, List[Dict[str, Any]]], response: str, language: str, channel: str,
                  fallback: str = "", **values: Any) -> str:
    """A domain response's text in a language, its {placeholders} filled from values; fallback if it has none."""
    # Rasa's own generator, so conditions (and channel-specific variations) mean what they mean in the bot.
    generator = TemplatedNaturalLanguageGenerator(responses)
    message = generator.generate_from_slots(response, {LANGUAGE_SLOT: language}, channel, **values)
    return str((message or {}).get("text") or fallback)


class Wording:
    """Response texts from the domain of the agent Rasa runs, with a fallback for a domain that lacks one.

    The agent is read from the Sanic app each time, not kept: Rasa sets `app.ctx.agent` once the model has loaded
    and replaces it when a new model is put in (PUT /model).
    """

    def __init__(self, channel: str, default_language: str = ZH) -> None:
        self.channel = channel
        self.default_language = default_language
        self._app: Any = None

    def bind(self, app: Any) -> None:
        """Read the domain from this Sanic app's agent (`app.ctx.agent`)."""
        self._app = app

    def _agent(self) -> Any:
        return getattr(getattr(self._app, "ctx", None), "agent", None)

    def responses(self) -> Dict[str, List[Dict[str, Any]]]:
        """The loaded domain's responses ({} before a model is loaded, or when no app is bound)."""
        domain = getattr(self._agent(), "domain", None)
        return dict(getattr(domain, "responses", None) or {})

    def text(self, response: str, language: str, fallback: str, **values: Any) -> str:
        """A response's text in a language, its {placeholders} filled from values; fallback if the domain lacks it."""
        return response_text(self.responses(), response, language, self.channel, fallback, **values)

    async def language(self, sender_id: str, text: str) -> str:
        """The customer's language: their text's, else their conversation's `language` slot, else the default."""
        detected = detect_language(text)
        if detected is not None:
            return detected
        store = getattr(self._agent(), "tracker_store", None)
        if store is None:
            return self.default_language
        try:
            tracker = await store.retrieve(sender_id)
        except Exception as exc:  # each tracker store (SQL, Redis, Mongo, …) fails with its own errors
            logger.warning("no conversation language for %s: %s", sender_id, exc)
            return self.default_language
        slot = tracker.get_slot(LANGUAGE_SLOT) if tracker is not None else None
        return str(slot) if slot in (ZH, EN) else self.default_language

    async def refusal(self, rejected: MessageRejected, sender_id: str, text: str, **values: Any) -> str:
        """What a customer reads when the guard refuses their message (the guard's own text if no response fits)."""
        response = REFUSALS.get(rejected.reason)
        if response is None:
            return rejected.message
        return self.text(response, await self.language(sender_id, text), rejected.message, **values)
