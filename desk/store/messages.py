"""Messages of a hand-over: the customer's (once each), the agent's (delivered once), and internal notes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from desk.db import ACTIVE, Escalation, Message, Note
from desk.errors import ConflictError, NotFoundError
from desk.store.attachments import AttachmentRecords
from desk.store.records import MAX_TEXT, _clean, message_dict, note_dict
from kefu.db import utcnow

_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[A-Za-z0-9]+")


def says_something(text: str) -> bool:
    """Whether a message is worth searching the knowledge base for: 4+ Chinese characters or 2+ words, not a bare
    "在吗", "转人工", "human" or "???"."""
    han, words = len(_HAN.findall(text)), len(_WORD.findall(text))
    return han >= 4 or words >= 2 or (han >= 2 and words >= 1)


class MessageRecords(AttachmentRecords):
    """Messages of a hand-over: the customer's (once each), the agent's (delivered once), and internal notes."""

    def detail(self, escalation_id: int) -> dict[str, Any]:
        """An escalation with its messages and notes."""
        escalation = self.get_escalation(escalation_id)
        with self.session() as s:
            messages = s.scalars(select(Message).where(Message.escalation_id == escalation_id)
                                 .options(selectinload(Message.agent)).order_by(Message.id)).all()
            notes = s.scalars(select(Note).where(Note.escalation_id == escalation_id)
                              .options(selectinload(Note.agent)).order_by(Note.id)).all()
            return {"escalation": escalation, "messages": [message_dict(m) for m in messages],
                    "notes": [note_dict(n) for n in notes]}

    def latest_question(self, escalation_id: int) -> str | None:
        """The customer's newest message that says something (`says_something`), from the hand-over's messages,
        else from what they told the bot before it."""
        with self.session() as s:
            e = self._load(s, escalation_id)
            texts = list(s.scalars(select(Message.text).where(Message.escalation_id == escalation_id,
                                                              Message.role == "customer")
                                   .order_by(Message.id.desc()).limit(20)).all())
            earlier = (e.summary or {}).get("last_messages") or []
        texts += [str(m.get("text") or "") for m in reversed(earlier)
                  if isinstance(m, dict) and m.get("role") == "customer"]
        return next((t for t in texts if says_something(t)), None)

    def add_customer_message(self, conversation_id: str, text: str, *, sentiment: dict[str, Any] | None,
                             frustration: float | None, source_id: str | None,
                             attachment: str | None = None) -> dict[str, Any] | None:
        """Store a customer message of an active hand-over (once per source_id); None when none is active. With
        `attachment`, the token of a file the customer uploaded for this conversation, the message carries it."""
        try:
            with self.session() as s:
                e_id = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                             Escalation.status.in_(ACTIVE)))
                if e_id is None:
                    return None
                m = Message(escalation_id=e_id, role="customer", text=text[:MAX_TEXT], sentiment=sentiment,
                            frustration=frustration, source_id=source_id)
                m.attachment = self._unsent_attachment(s, attachment, conversation_id, "customer")
                s.add(m)
                s.flush()
                # The next-response clock starts at the oldest message the agent has not answered yet.
                s.execute(update(Escalation).where(Escalation.id == e_id, Escalation.awaiting_since.is_(None))
                          .values(awaiting_since=m.created_at))
                self._event(s, "message", m.id)
                return message_dict(m)
        except IntegrityError:  # relayed before (a retry or a backfill)
            with self.session() as s:
                old = s.scalar(select(Message).where(Message.source_id == source_id))
                return None if old is None else message_dict(old)

    def customer_typing(self, conversation_id: str) -> int | None:
        """Tell the desks the customer is typing (a `typing` event); the hand-over's id, None when none is active."""
        with self.session() as s:
            e_id = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                         Escalation.status.in_(ACTIVE)))
            if e_id is not None:
                self._event(s, "typing", e_id)
            return None if e_id is None else int(e_id)

    def relayed_sources(self, conversation_id: str) -> set[str]:
        """Rasa message ids of the customer messages already stored for the conversation's active hand-over."""
        with self.session() as s:
            rows = s.scalars(select(Message.source_id).join(Escalation).where(
                Escalation.conversation_id == conversation_id, Escalation.status.in_(ACTIVE),
                Message.source_id.is_not(None))).all()
        return {str(r) for r in rows}

    def add_agent_message(self, escalation_id: int, agent_id: int, text: str,
                          attachment: str | None = None) -> dict[str, Any]:
        """Store an agent's reply (undelivered until the bot has sent it); only the claiming agent may reply. With
        `attachment`, the token of a file the agent uploaded for this conversation, the reply carries it.

        The result also names the conversation (`conversation_id`), which the console needs to deliver it.
        """
        body = _clean(text, "reply")
        with self.session() as s:
            e = self._owned(s, escalation_id, agent_id)
            m = Message(escalation_id=escalation_id, role="agent", text=body, agent_id=agent_id)
            m.attachment = self._unsent_attachment(s, attachment, e.conversation_id, "agent")
            if attachment and m.attachment is None:
                raise ConflictError("that file was sent already or belongs to another conversation")
            s.add(m)
            s.flush()
            if e.first_response_at is None:
                e.first_response_at = m.created_at
            e.awaiting_since = None
            self._event(s, "message", m.id)
            m.agent = e.agent
            return {**message_dict(m), "conversation_id": e.conversation_id}

    def agent_message(self, message_id: int) -> tuple[dict[str, Any], str]:
        """An agent message and its conversation id (for the bot that delivers it)."""
        with self.session() as s:
            m = s.get(Message, message_id, options=[selectinload(Message.agent)])
            if m is None or m.role != "agent":
                raise NotFoundError(f"no agent message {message_id}")
            e = self._load(s, m.escalation_id)
            return message_dict(m), e.conversation_id

    def mark_delivered(self, message_id: int) -> bool:
        """Mark an agent message sent; False when it was already (a retried delivery must not repeat it)."""
        with self.session() as s:
            result = s.execute(update(Message).where(Message.id == message_id, Message.delivered_at.is_(None))
                               .values(delivered_at=utcnow()))
            first = bool(result.rowcount == 1)  # type: ignore[attr-defined]
            if first:
                self._event(s, "message", message_id)
        return first

    def undelivered(self, older_than_s: float, max_attempts: int = 100) -> list[tuple[int, str]]:
        """Agent messages not yet sent after this many seconds: (message id, conversation id), oldest first."""
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        with self.session() as s:
            rows = s.execute(
                select(Message.id, Escalation.conversation_id).join(Escalation)
                .where(Message.role == "agent", Message.delivered_at.is_(None), Message.created_at < cutoff,
                       Message.attempts < max_attempts)
                .order_by(Message.id)
            ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    def count_attempt(self, message_id: int) -> None:
        """One more delivery attempt of an agent message."""
        with self.session() as s:
            s.execute(update(Message).where(Message.id == message_id).values(attempts=Message.attempts + 1))

    def add_note(self, escalation_id: int, agent_id: int, text: str) -> dict[str, Any]:
        """An internal note; any signed-in agent may add one."""
        body = _clean(text, "note")
        with self.session() as s:
            self._load(s, escalation_id)
            n = Note(escalation_id=escalation_id, agent_id=agent_id, text=body)
            s.add(n)
            s.flush()
            self._event(s, "note", n.id)
            s.refresh(n, ["agent"])
            return note_dict(n)
