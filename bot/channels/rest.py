"""Rasa's REST channel with input checks: malformed, empty or oversized messages get a clear 4xx."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import (
    MessageRejected,
    clean_sender,
    clean_text,
    identity_secret_from,
    max_chars_from,
    with_checked_identity,
)


class RestInput(RasaRestInput):
    """POST /webhooks/rest/webhook {"sender", "message", "metadata"?} → list of bot messages."""

    def __init__(self, max_message_chars: int, identity_secret: str = "") -> None:
        self.max_message_chars = max_message_chars
        self.identity_secret = identity_secret

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's name so the webhook stays /webhooks/rest/webhook."""
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Build from credentials.yml; `max_message_chars` and `identity_secret` are optional."""
        return cls(max_chars_from(credentials), identity_secret_from(credentials))

    def check(self, request: Request) -> None:
        """Validate the body in place, or raise MessageRejected."""
        try:
            body = request.json
        except SanicException:
            raise MessageRejected(400, "InvalidJSON", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise MessageRejected(400, "InvalidJSON", "The request body must be a JSON object.")
        body["sender"] = clean_sender(body.get("sender", "default"))
        body["message"] = clean_text(body.get("message"), self.max_message_chars)
        metadata = body.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise MessageRejected(400, "InvalidMetadata", "`metadata` must be a JSON object.")
        if metadata:
            # A claimed shop customer id counts only when signed with the shop's secret (kefu/identity.py).
            body["metadata"] = with_checked_identity(metadata, self.identity_secret, body["sender"])

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST blueprint with a request check in front of the webhook."""
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def check_request(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST":
                return None
            try:
                self.check(request)
            except MessageRejected as exc:
                return response.json(exc.as_dict(), status=exc.status)
            return None

        return blueprint
