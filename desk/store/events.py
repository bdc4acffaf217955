"""The desk event feed the consoles tail: every write appended one in its transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from desk.db import CannedReply, Compensation, Escalation, Event, Label, Message, Note, SlaBreach, Ticket
from desk.store.canned import canned_dict
from desk.store.compensation import compensation_dict
from desk.store.escalations import EscalationRecords
from desk.store.records import label_dict, message_dict, note_dict, ticket_dict
from desk.store.sla import breach_dict


class EventFeed(EscalationRecords):
    """The desk event feed the consoles tail: every write appended one in its transaction."""

    def last_event_id(self) -> int:
        """Id of the newest desk event (0 when none)."""
        with self.session() as s:
            return int(s.scalar(select(func.max(Event.id))) or 0)

    def events_after(self, last_id: int, limit: int = 200) -> list[tuple[int, str, dict[str, Any]]]:
        """Desk events after `last_id`, each with the current state of what it refers to."""
        with self.session() as s:
            events = s.execute(select(Event.id, Event.kind, Event.ref_id).where(Event.id > last_id)
                               .order_by(Event.id).limit(limit)).all()
        out: list[tuple[int, str, dict[str, Any]]] = []
        positions = self.positions() if any(kind == "escalation" for _, kind, _ in events) else {}
        with self.session() as s:
            for event_id, kind, ref in events:
                payload: dict[str, Any] | None = None
                if kind == "escalation":
                    e = s.get(Escalation, ref, options=[selectinload(Escalation.agent)])
                    payload = self.escalation_dict(e, position=positions.get(ref)) if e else None
                elif kind == "message":
                    m = s.get(Message, ref, options=[selectinload(Message.agent)])
                    payload = message_dict(m) if m else None
                elif kind == "note":
                    n = s.get(Note, ref, options=[selectinload(Note.agent)])
                    payload = note_dict(n) if n else None
                elif kind == "ticket":
                    t = s.get(Ticket, ref)
                    payload = ticket_dict(t) if t else None
                elif kind == "label":  # the list changed: every desk reloads it
                    label = s.get(Label, ref)
                    payload = label_dict(label) if label else {"id": ref, "deleted": True}
                elif kind == "sla":  # a deadline missed: the desks show it in red
                    b = s.get(SlaBreach, ref)
                    payload = breach_dict(b) if b else None
                elif kind == "sla_targets":  # an admin changed the targets: every desk reloads them
                    payload = {"id": ref, "changed": True}
                elif kind == "compensation":  # granted, requested, decided: desks and supervisors update
                    comp = s.get(Compensation, ref)
                    payload = compensation_dict(comp) if comp else None
                elif kind == "typing":  # the customer is typing: desks show it for a few seconds
                    payload = {"escalation_id": ref, "role": "customer"}
                elif kind == "team":  # a team changed: every desk reloads the list
                    payload = {"id": ref}
                elif kind == "canned":  # created, edited or deleted: every desk reloads its list
                    c = s.get(CannedReply, ref)
                    payload = canned_dict(c) if c else {"id": ref, "deleted": True}
                if payload:
                    out.append((int(event_id), str(kind), payload))
        return out
