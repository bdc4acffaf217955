"""The WeChat Official Account channel (credentials.yml names it `bot.channels.wechat.WeChatInput`).

- channel.py: the Rasa input and output channels (the webhook)
- client.py: the Official Account API (access_token, customer-service messages)
- crypto.py: signatures and safe-mode AES
- xml.py: parsing messages with defusedxml, what the bot reads, passive replies
- buttons.py: buttons as numbered lines, and the number a customer replies with
- wording.py: what the channel says itself, from the domain's responses in the customer's language
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.channels.wechat.channel import WeChatInput, WeChatOutput

__all__ = ["WeChatInput", "WeChatOutput"]


def __getattr__(name: str) -> Any:
    """The channel classes, imported on first use.

    Lazily, because the app environment (tests, bench) imports crypto.py and xml.py, and has no Rasa to import
    channel.py with.
    """
    if name in __all__:
        from bot.channels.wechat import channel

        return getattr(channel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
