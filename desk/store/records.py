"""How the desk's records look in the API (never a password hash), and the checks on what agents type."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from desk.db import Agent, Attachment, Label, Message, Note, Ticket
from desk.errors import InvalidInputError
from kefu.pii import mask

ROLES = ("agent", "supervisor", "ops", "admin")
MAX_TEXT = 4000


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite returns naive datetimes; they were written as UTC
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _maybe(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


def _clean(text: str, what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise InvalidInputError(f"the {what} is empty")
    if len(value) > MAX_TEXT:
        raise InvalidInputError(f"the {what} has {len(value)} characters; the limit is {MAX_TEXT}")
    return value


def hash_token(token: str) -> str:
    """SHA-256 of a session token: a leaked table does not reveal live cookies."""
    return hashlib.sha256(token.encode()).hexdigest()


def agent_dict(agent: Agent, online: bool | None = None) -> dict[str, Any]:
    """An agent as the API shows it (never the password hash)."""
    out: dict[str, Any] = {"id": agent.id, "username": agent.username, "display_name": agent.display_name,
                           "role": agent.role}
    if online is not None:
        out["online"] = online
    return out


def attachment_dict(a: Attachment) -> dict[str, Any]:
    """An attachment as the API shows it; `url` is relative to the console (`/files/{token}`)."""
    return {"token": a.token, "filename": a.filename, "content_type": a.content_type, "size": a.size,
            "image": a.content_type.startswith("image/"), "url": f"/files/{a.token}"}


def message_dict(m: Message) -> dict[str, Any]:
    """A desk message as the API shows it: a customer's with personal data masked (`masked` says so)."""
    # Only the customer's text: an agent's reply is delivered from this record, so it must stay as written.
    text = mask(m.text) if m.role == "customer" else m.text
    return {
        "id": m.id, "escalation_id": m.escalation_id, "role": m.role, "text": text, "masked": text != m.text,
        "sentiment": m.sentiment,
        "frustration": m.frustration, "agent_name": m.agent.display_name if m.agent else None,
        "created_at": _iso(m.created_at), "delivered": m.role != "agent" or m.delivered_at is not None,
        "attachment": attachment_dict(m.attachment) if m.attachment is not None else None,
    }


def note_dict(n: Note) -> dict[str, Any]:
    """An internal note as the API shows it."""
    return {"id": n.id, "escalation_id": n.escalation_id, "author": n.agent.display_name, "text": n.text,
            "created_at": _iso(n.created_at)}


def ticket_dict(t: Ticket) -> dict[str, Any]:
    """An offline ticket as the API shows it, personal data masked (`masked` says so)."""
    message, contact = mask(t.message), mask(t.contact)
    return {"id": t.id, "conversation_id": t.conversation_id, "channel": t.channel, "language": t.language,
            "message": message, "contact": contact, "masked": (message, contact) != (t.message, t.contact),
            "status": t.status, "created_at": _iso(t.created_at)}


def masked_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """An escalation's summary with what the customer typed masked (their messages, and the brief's question)."""
    out = dict(summary)
    if "last_messages" in summary:
        out["last_messages"] = [{**m, "text": mask(str(m.get("text") or ""))} if m.get("role") == "customer" else m
                                for m in summary.get("last_messages") or []]
    brief = summary.get("brief")
    if isinstance(brief, dict) and brief.get("wants"):
        out["brief"] = {**brief, "wants": mask(str(brief["wants"]))}
    return out


def label_dict(label: Label) -> dict[str, Any]:
    """A label as the API shows it."""
    return {"id": label.id, "name": label.name, "color": label.color}
