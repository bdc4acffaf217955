"""Attachments of hand-overs: the record of each stored file, and which message it came with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.attachments import CheckedFile
from desk.db import ACTIVE, Attachment, Escalation, Message
from desk.errors import ConflictError, NotFoundError
from desk.store.escalations import EscalationRecords
from desk.store.records import attachment_dict


class AttachmentRecords(EscalationRecords):
    """Attachments of hand-overs: the record of each stored file, and which message it came with."""

    def add_attachment(self, conversation_id: str, role: str, checked: CheckedFile, token: str,
                       key: str) -> dict[str, Any]:
        """Record a stored file; a customer's only while their conversation has an active hand-over."""
        with self.session() as s:
            if role == "customer" and s.scalar(select(Escalation.id).where(
                    Escalation.conversation_id == conversation_id, Escalation.status.in_(ACTIVE))) is None:
                raise ConflictError("files go to an agent: ask for a person first, then send the file")
            a = Attachment(token=token, conversation_id=conversation_id, role=role, filename=checked.filename,
                           content_type=checked.content_type, size=checked.size, sha256=checked.sha256, key=key)
            s.add(a)
            s.flush()
            return attachment_dict(a)

    def attachment_file(self, token: str) -> tuple[dict[str, Any], str]:
        """(the attachment, its storage key) for a token, or NotFoundError."""
        with self.session() as s:
            a = s.scalar(select(Attachment).where(Attachment.token == token))
            if a is None:
                raise NotFoundError("no such file")
            return attachment_dict(a), a.key

    @staticmethod
    def _unsent_attachment(s: Session, token: str | None, conversation_id: str, role: str) -> Attachment | None:
        """The attachment a new message may carry: this conversation's, uploaded by this side, on no message yet."""
        if not token:
            return None
        a = s.scalar(select(Attachment).where(Attachment.token == token, Attachment.conversation_id == conversation_id,
                                              Attachment.role == role))
        if a is None or s.scalar(select(Message.id).where(Message.attachment_id == a.id)) is not None:
            return None
        return a
