"""The audit log of personal data (who revealed what, purges, forget-me requests) and the reveals themselves."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desk.db import AuditEntry, Escalation, Message, Ticket
from desk.errors import NotFoundError
from desk.store.base import StoreBase
from desk.store.records import _iso
from kefu.pii import mask


def audit_dict(a: AuditEntry) -> dict[str, Any]:
    """An audit entry as the API shows it."""
    return {"id": a.id, "at": _iso(a.at), "actor": a.actor, "action": a.action, "target": a.target,
            "conversation_id": a.conversation_id, "detail": a.detail or {}}


class AuditRecords(StoreBase):
    """The audit log of personal data (who revealed what, purges, forget-me requests) and the reveals themselves."""

    @staticmethod
    def _audit(s: Session, actor: str, action: str, target: str = "", conversation_id: str | None = None,
               detail: dict[str, Any] | None = None) -> None:
        s.add(AuditEntry(actor=actor, action=action, target=target, conversation_id=conversation_id,
                         detail=detail or {}))

    def audit(self, actor: str, action: str, target: str = "", conversation_id: str | None = None,
              detail: dict[str, Any] | None = None) -> None:
        """Append one entry."""
        with self.session() as s:
            self._audit(s, actor, action, target, conversation_id, detail)

    def audit_log(self, limit: int = 200, action: str | None = None) -> list[dict[str, Any]]:
        """The newest entries first."""
        with self.session() as s:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            if action:
                query = query.where(AuditEntry.action == action)
            return [audit_dict(a) for a in s.scalars(query).all()]

    def reveal_escalation(self, escalation_id: int, actor: str, reason: str) -> dict[str, Any]:
        """The customer's messages of a hand-over as written (summary and desk), logged before they are returned."""
        with self.session() as s:
            e = s.get(Escalation, escalation_id)
            if e is None:
                raise NotFoundError(f"no escalation {escalation_id}")
            summary = [{"index": i, "text": str(m.get("text") or "")}
                       for i, m in enumerate((e.summary or {}).get("last_messages") or [])
                       if m.get("role") == "customer"]
            messages = [{"id": m.id, "text": m.text} for m in s.scalars(
                select(Message).where(Message.escalation_id == escalation_id, Message.role == "customer")
                .order_by(Message.id))]
            self._audit(s, actor, "reveal_escalation", f"escalation:{escalation_id}", e.conversation_id,
                        {"reason": mask(reason), "messages": [m["id"] for m in messages]})
            return {"escalation_id": escalation_id, "summary": summary, "messages": messages}

    def reveal_ticket(self, ticket_id: int, actor: str, reason: str) -> dict[str, Any]:
        """An offline ticket's message and contact as written, logged before they are returned."""
        with self.session() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFoundError(f"no ticket {ticket_id}")
            self._audit(s, actor, "reveal_ticket", f"ticket:{ticket_id}", t.conversation_id, {"reason": mask(reason)})
            return {"ticket_id": ticket_id, "message": t.message, "contact": t.contact}
