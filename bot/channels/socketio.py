"""Rasa's socket.io channel with input checks; rejected messages get a `kefu_error` event.

With several Rasa replicas (KEFU_REDIS_URL set) the server's messages go through python-socketio's Redis manager:
an agent's reply handled by one replica reaches a customer whose socket is held by another. A replica delivers to
the sockets it holds itself, without the round trip through Redis, so while Redis restarts the bot's replies (and
its apology while a store is away) still reach the customer whose message it handles; only a reply handled by
another replica needs Redis.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import pickle
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager

from bot.channels.guard import (
    DEFAULT_MAX_MESSAGE_CHARS,
    MAX_SENDER_CHARS,
    MessageRejected,
    browser_metadata,
    clean_sender,
    clean_text,
    identity_secret_from,
    max_chars_from,
    with_checked_identity,
)

logger = logging.getLogger(__name__)
ERROR_EVENT = "kefu_error"
# An agent is typing (from the desk): {typing, agent_name}.
TYPING_EVENT = "kefu_typing"
MAX_AGENT_NAME = 64
# How soon a replica that lost its Redis subscription tries again (python-socketio doubles its wait up to 60 s).
RESUBSCRIBE_S = 0.5
# Message metadata a widget may show: who is speaking (an agent's name) and the hand-over's state.
PUBLIC_METADATA = ("agent_name", "handoff")


def sender_too_long(sender: str) -> bool:
    """Whether a conversation id is longer than any channel accepts."""
    return len(sender) > MAX_SENDER_CHARS


class LocalFirstRedisManager(AsyncRedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, delivering to this replica's own sockets first.

    python-socketio sends every message, a replica's own included, through Redis and back; while Redis restarts,
    and until each replica's listener has subscribed again (its backoff grows to a minute), every message would be
    lost, a customer's own replies too. Here a replica delivers a message to the sockets it holds at once (a
    customer's own messages arrive where their socket is), then publishes it for the others, which skip nothing;
    the replica itself skips its own copy when it comes back. The listener re-subscribes every half second.
    """

    async def _publish(self, data: Dict[str, Any]) -> Any:
        local = data.get("method") == "emit" and data.get("callback") is None
        if local:
            await super()._handle_emit(data)
            data = {**data, "kefu_delivered_by": self.host_id}
        failure: Optional[Exception] = None
        for attempt in (1, 2):
            try:
                if attempt == 2:
                    self._redis_connect()
                return await self.redis.publish(self.channel, pickle.dumps(data))
            except Exception as exc:  # redis-py's errors, and OSError from a socket that went away
                failure = exc
        logger.warning("Redis did not take a socket.io %s (%s): only this replica's sockets have it",
                       data.get("method"), failure)
        if data.get("method") == "disconnect":
            await self._handle_disconnect(data)
        return None

    async def _handle_emit(self, message: Dict[str, Any]) -> None:
        if message.get("kefu_delivered_by") == self.host_id:
            return  # delivered to this replica's sockets when it was sent
        await super()._handle_emit(message)

    async def _redis_listen_with_retries(self) -> Any:
        connect = False
        while True:
            try:
                if connect:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:  # any failure of the connection, not only redis-py's own errors
                logger.warning("socket.io lost its Redis subscription (%s); subscribing again", exc)
                connect = True
                await asyncio.sleep(RESUBSCRIBE_S)


class SocketIOOutput(RasaSocketIOOutput):
    """Rasa's socket.io output, plus `metadata` {agent_name, handoff} on text and image messages that carry them."""

    _metadata: Optional[Dict[str, Any]] = None

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self._metadata and isinstance(response, dict) and ("text" in response or "attachment" in response):
            response = {**response, "metadata": self._metadata}
        await super()._send_message(socket_id, response)

    def _remember(self, kwargs: Dict[str, Any]) -> None:
        self._metadata = {key: kwargs[key] for key in PUBLIC_METADATA if kwargs.get(key) is not None} or None

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Text, with the public metadata."""
        self._remember(kwargs)
        await super().send_text_message(recipient_id, text, **kwargs)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """An image (an agent's attachment), with the public metadata."""
        self._remember(kwargs)
        await super().send_image_url(recipient_id, image, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: List[Dict[str, Any]], **kwargs: Any
    ) -> None:
        """Text and quick replies, with the public metadata."""
        self._remember(kwargs)
        await super().send_text_with_buttons(recipient_id, text, buttons, **kwargs)


class SocketIOInput(RasaSocketIOInput):
    """Socket.IO channel speaking rasa-webchat's protocol (session_request, user_uttered, bot_uttered)."""

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    identity_secret: str = ""

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's name so widgets find /socket.io and trackers say `socketio`."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Rasa's options plus `max_message_chars` and `identity_secret`."""
        channel = super().from_credentials(credentials)
        assert isinstance(channel, SocketIOInput)
        channel.max_message_chars = max_chars_from(credentials)
        channel.identity_secret = identity_secret_from(credentials)
        return channel

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The output for external events (agent replies from the desk), with the public metadata."""
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io blueprint, with each message checked before it reaches the bot."""

        async def checked(message: UserMessage) -> None:
            if isinstance(message.output_channel, RasaSocketIOOutput):
                message.output_channel = SocketIOOutput(message.output_channel.sio,
                                                        message.output_channel.bot_message_evt)
            try:
                message.sender_id = clean_sender(message.sender_id)
                message.metadata = with_checked_identity(browser_metadata(message.metadata), self.identity_secret,
                                                         message.sender_id)
                message.text = clean_text(message.text, self.max_message_chars)
            except MessageRejected as exc:
                output = message.output_channel
                if isinstance(output, RasaSocketIOOutput):
                    await output.sio.emit(ERROR_EVENT, exc.as_dict(), room=message.sender_id)
                return
            await on_new_message(message)

        blueprint = super().blueprint(checked)
        sio = self.sio

        @blueprint.route("/typing", methods=["POST"])
        async def typing(request: Request) -> HTTPResponse:
            """The desk says an agent is typing: the customer's open tabs show it (the console calls this with Rasa's
            API token; in a cluster the Redis manager carries it to the replica holding the socket)."""
            token = os.environ.get("KEFU_RASA_TOKEN", "")
            if not token or not hmac.compare_digest(str(request.args.get("token", "")), token):
                return response.json({"detail": "wrong or missing token"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender or sender_too_long(sender):
                return response.json({"detail": "`sender` must be a conversation id"}, status=400)
            name = body.get("agent_name")
            event = {"typing": bool(body.get("typing", True)),
                     "agent_name": name[:MAX_AGENT_NAME] if isinstance(name, str) else None}
            if sio is not None:
                await sio.emit(TYPING_EVENT, event, room=sender)
            return response.json({"ok": True})

        redis_url = os.environ.get("KEFU_REDIS_URL", "").strip()
        if redis_url and self.sio is not None:
            # Rasa builds its AsyncServer with the in-process manager; swap in the Redis one before any socket
            # connects (the server initialises its manager on the first connection).
            self.sio.manager = LocalFirstRedisManager(redis_url, channel="kefu-socketio")
            self.sio.manager.set_server(self.sio)
        return blueprint
