"""WeChat's XML: messages parsed with defusedxml (no DTDs, entities or bombs), what the bot reads, passive replies."""

from __future__ import annotations

import time
from typing import Dict, Optional
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.channels.guard import MessageRejected

MEDIA = {"image", "voice", "video", "shortvideo", "location", "link", "file"}
# The fields of an encrypted reply that hold text WeChat wants in CDATA; TimeStamp is a bare number.
_CDATA_FIELDS = ("Encrypt", "MsgSignature", "Nonce")


def parse(data: bytes, what: str = "the body") -> Element:
    """The XML document in data, or MessageRejected (400) for malformed or hostile XML."""
    try:
        root: Element = fromstring(data)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MessageRejected(400, "MalformedXML", f"{what} is not acceptable XML: {exc}") from None
    return root


def field(root: Element, name: str) -> str:
    """The text of a child element ('' when absent)."""
    node = root.find(name)
    return (node.text or "").strip() if node is not None else ""


def to_text(root: Element) -> Optional[str]:
    """What the bot should read for this message, or None for events it ignores."""
    kind = field(root, "MsgType").lower()
    if kind == "text":
        return field(root, "Content")
    if kind == "event":
        event = field(root, "Event").lower()
        if event == "subscribe":
            return "/greet"
        if event == "click":
            return field(root, "EventKey") or None
        return None  # unsubscribe, menu links, location reports, template receipts: nothing to say
    if kind == "voice" and field(root, "Recognition"):
        return field(root, "Recognition")
    if kind in MEDIA:
        return '/send_media{"media_type": "' + kind + '"}'
    return '/send_media{"media_type": "other"}'


def reply_xml(to_user: str, from_user: str, content: str) -> str:
    """A passive text reply."""
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{escape(content)}</Content></xml>"
    )


def sealed_xml(sealed: Dict[str, str]) -> str:
    """An encrypted passive reply from MessageCrypto.seal's fields."""
    return "<xml>" + "".join(
        f"<{k}><![CDATA[{v}]]></{k}>" if k in _CDATA_FIELDS else f"<{k}>{v}</{k}>" for k, v in sealed.items()
    ) + "</xml>"
