"""Offline tickets: messages left for agents when nobody could take the conversation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from desk.db import Ticket
from desk.errors import NotFoundError
from desk.store.base import StoreBase
from desk.store.records import _clean, ticket_dict
from kefu.db import utcnow


class TicketRecords(StoreBase):
    """Offline tickets: messages left for agents when nobody could take the conversation."""

    def create_ticket(self, conversation_id: str, *, channel: str, language: str, message: str,
                      contact: str) -> dict[str, Any]:
        """Store a message left for agents."""
        body = _clean(message, "message")
        with self.session() as s:
            t = Ticket(conversation_id=conversation_id, channel=channel, language=language, message=body,
                       contact=contact.strip()[:256])
            s.add(t)
            s.flush()
            self._event(s, "ticket", t.id)
            return ticket_dict(t)

    def tickets(self, status: str | None = None) -> list[dict[str, Any]]:
        """Offline tickets, open ones first, newest first."""
        with self.session() as s:
            query = select(Ticket).order_by(Ticket.status.desc(), Ticket.id.desc())
            if status:
                query = query.where(Ticket.status == status)
            return [ticket_dict(t) for t in s.scalars(query).all()]

    def close_ticket(self, ticket_id: int, agent_id: int) -> dict[str, Any]:
        """Mark a ticket handled."""
        with self.session() as s:
            t = s.get(Ticket, ticket_id)
            if t is None:
                raise NotFoundError(f"no ticket {ticket_id}")
            t.status, t.closed_at, t.closed_by = "closed", utcnow(), agent_id
            self._event(s, "ticket", t.id)
            return ticket_dict(t)
