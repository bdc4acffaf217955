"""Rasa's socket.io channel with input checks; rejected messages get a `kefu_error` event."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput
from sanic import Blueprint

from bot.channels.guard import (
    DEFAULT_MAX_MESSAGE_CHARS,
    MessageRejected,
    clean_sender,
    clean_text,
    max_chars_from,
)

ERROR_EVENT = "kefu_error"


class SocketIOInput(RasaSocketIOInput):
    """Socket.IO channel speaking rasa-webchat's protocol (session_request, user_uttered, bot_uttered)."""

    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS

    @classmethod
    def name(cls) -> str:
        """Keep Rasa's name so widgets find /socket.io and trackers say `socketio`."""
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Rasa's options plus `max_message_chars`."""
        channel = super().from_credentials(credentials)
        assert isinstance(channel, SocketIOInput)
        channel.max_message_chars = max_chars_from(credentials)
        return channel

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's socket.io blueprint, with each message checked before it reaches the bot."""

        async def checked(message: UserMessage) -> None:
            try:
                message.sender_id = clean_sender(message.sender_id)
                message.text = clean_text(message.text, self.max_message_chars)
            except MessageRejected as exc:
                output = message.output_channel
                if isinstance(output, SocketIOOutput):
                    await output.sio.emit(ERROR_EVENT, exc.as_dict(), room=message.sender_id)
                return
            await on_new_message(message)

        return super().blueprint(checked)
