"""Checks every channel applies to a customer message before Rasa sees it."""

from __future__ import annotations

import logging
import re
from typing import Any, Dict, Optional

from kefu.identity import REFUSED, checked_identity

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128

# C0 controls except tab/newline/CR, DEL, and lone UTF-16 surrogates (valid JSON, but not encodable text).
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class MessageRejected(Exception):
    """A message Kefu will not process; carries the HTTP status and a reason a client can act on."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message

    def as_dict(self) -> Dict[str, Any]:
        """The body of the error reply, shaped like Rasa's own HTTP errors."""
        return {"status": "failure", "code": self.status, "reason": self.reason, "message": self.message}


def max_chars_from(credentials: Optional[Dict[str, Any]]) -> int:
    """Read `max_message_chars` from a channel's credentials, failing loudly on a bad value."""
    raw = (credentials or {}).get("max_message_chars") or DEFAULT_MAX_MESSAGE_CHARS
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"max_message_chars must be a whole number, not {raw!r}") from None
    if value < 1:
        raise ValueError("max_message_chars must be at least 1")
    return value


def clean_text(text: Any, limit: int) -> str:
    """Return the message without control characters, or raise MessageRejected."""
    if not isinstance(text, str):
        raise MessageRejected(400, "InvalidMessage", "`message` must be a string.")
    cleaned = _JUNK.sub("", text).strip()
    if not cleaned:
        raise MessageRejected(400, "EmptyMessage", "The message is empty.")
    if len(cleaned) > limit:
        raise MessageRejected(
            413, "MessageTooLong", f"The message has {len(cleaned)} characters; the limit is {limit}."
        )
    return cleaned


def clean_sender(sender: Any) -> str:
    """Return the sender id as text, or raise MessageRejected."""
    if isinstance(sender, bool) or not isinstance(sender, (str, int)):
        raise MessageRejected(400, "InvalidSender", "`sender` must be a string or a number.")
    value = _JUNK.sub("", str(sender)).strip()
    if not value or len(value) > MAX_SENDER_CHARS:
        raise MessageRejected(400, "InvalidSender", f"`sender` must have 1 to {MAX_SENDER_CHARS} characters.")
    return value


# Set by the shop's systems (REST from a backend, the customer_tier slot through Rasa's API), never by a browser:
# a customer must not be able to make themselves VIP.
TRUSTED_ONLY_METADATA = ("customer_tier", "tier")


def browser_metadata(metadata: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Metadata from a browser, without the keys only the shop's own systems may set."""
    return {k: v for k, v in (metadata or {}).items() if k not in TRUSTED_ONLY_METADATA}


def identity_secret_from(credentials: Optional[Dict[str, Any]]) -> str:
    """The shop's identity secret (`identity_secret`, from KEFU_IDENTITY_SECRET in credentials.yml); "" for none."""
    value = (credentials or {}).get("identity_secret")
    return str(value).strip() if value else ""


def with_checked_identity(metadata: Optional[Dict[str, Any]], secret: str, sender: str) -> Dict[str, Any]:
    """The metadata with the shop's customer id kept only when signed with the secret (kefu/identity.py); a refused
    claim is logged and the message goes on as from an unverified visitor."""
    checked = checked_identity(metadata, secret)
    if checked.get(REFUSED) in ("forged", "malformed"):
        logger.warning("customer id in %s's message not accepted (%s): treated as unverified", sender,
                       checked[REFUSED])
    return checked
