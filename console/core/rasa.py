"""Rasa's HTTP API as the desk uses it: external events that make the bot speak on the customer's channel."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from desk.errors import RasaUnavailableError

logger = logging.getLogger(__name__)


class RasaClient:
    """Sends `trigger_intent` external events to the Rasa server, authenticated with its API token."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 10.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._token = token

    async def trigger(self, conversation_id: str, intent: str, entities: dict[str, Any] | None = None) -> None:
        """Inject an external intent; the reply goes out on the conversation's latest input channel."""
        try:
            resp = await self._client.post(
                f"/conversations/{quote(conversation_id, safe='')}/trigger_intent",
                # The reply would carry the whole tracker otherwise; the desk needs none of it.
                params={"output_channel": "latest", "token": self._token, "include_events": "NONE"},
                json={"name": intent, "entities": entities or {}},
            )
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(f"Rasa did not answer {intent} for {conversation_id}: {exc}") from exc
        if resp.status_code != 200:
            raise RasaUnavailableError(f"Rasa refused {intent} for {conversation_id}: {resp.status_code} "
                                       f"{resp.text[:200]}")

    async def typing(self, conversation_id: str, typing: bool, agent_name: str) -> None:
        """Tell a web customer's open tabs that the agent is typing (Kefu's socket.io channel, bot/channels)."""
        try:
            resp = await self._client.post("/webhooks/socketio/typing", params={"token": self._token}, timeout=3.0,
                                           json={"sender": conversation_id, "typing": typing,
                                                 "agent_name": agent_name})
        except httpx.HTTPError as exc:
            raise RasaUnavailableError(f"typing not shown to {conversation_id}: {exc}") from exc
        if resp.status_code != 200:
            raise RasaUnavailableError(f"typing not shown to {conversation_id}: {resp.status_code}")

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
