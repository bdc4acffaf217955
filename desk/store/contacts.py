"""The contact profile beside a conversation: the customer's identities, earlier hand-overs, ratings, tickets and the
orders they mentioned, across their conversations (the same conversation id, or the shop's customer id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from desk.db import Escalation, Message, Rating, Ticket
from desk.store.escalations import EscalationRecords
from desk.store.records import _iso, label_dict, ticket_dict
from kefu.order_numbers import find_order_number

MAX_HANDOVERS = 30
MAX_ORDERS = 5


class ContactRecords(EscalationRecords):
    """The contact profile beside a conversation, from the desk's own tables."""

    def contact(self, escalation_id: int) -> dict[str, Any]:
        """Who the customer is and what happened before: identities (channel and conversation id), tier, language,
        hand-overs newest first, ratings, tickets (open first) and the order numbers they gave, newest first."""
        with self.session() as s:
            this = self._load(s, escalation_id)
            same = Escalation.conversation_id == this.conversation_id
            mine = or_(same, Escalation.customer_key == this.customer_key) if this.customer_key else same
            related = s.scalars(select(Escalation).where(mine).options(selectinload(Escalation.agent))
                                .order_by(Escalation.created_at.desc(), Escalation.id.desc())
                                .limit(MAX_HANDOVERS)).all()
            conversations = sorted({e.conversation_id for e in related} | {this.conversation_id})
            ratings = s.scalars(select(Rating).where(Rating.conversation_id.in_(conversations))
                                .order_by(Rating.created_at.desc()).limit(20)).all()
            tickets = s.scalars(select(Ticket).where(Ticket.conversation_id.in_(conversations))
                                .order_by(Ticket.status.desc(), Ticket.created_at.desc()).limit(20)).all()
            texts = s.scalars(select(Message.text).where(Message.escalation_id.in_([e.id for e in related]),
                                                         Message.role == "customer")
                              .order_by(Message.id.desc())).all()
            summary = this.summary or {}
            identities = list(dict.fromkeys((e.channel, e.conversation_id) for e in [this, *related]))
            handovers = [{
                "id": e.id, "conversation_id": e.conversation_id, "channel": e.channel, "status": e.status,
                "reason": e.reason, "created_at": _iso(e.created_at), "resolved_at": _iso(e.resolved_at),
                "agent": e.agent.display_name if e.agent else None, "labels": [label_dict(x) for x in e.labels],
                "current": e.id == this.id} for e in related]
            earlier = [str(m.get("text") or "") for e in related for m in reversed((e.summary or {}).get(
                "last_messages") or []) if isinstance(m, dict) and m.get("role") == "customer"]
            numbers = [find_order_number(t) for t in [*texts, str(summary.get("order_number") or ""), *earlier]]
            profile = {
                "conversation_id": this.conversation_id, "customer_id": this.customer_key,
                "customer_name": summary.get("customer_name") if isinstance(summary.get("customer_name"), str)
                else None,
                "tier": this.tier, "language": this.language,
                "identities": [{"channel": channel, "conversation_id": cid} for channel, cid in identities],
                "handovers": handovers,
                "ratings": [{"score": r.score, "comment": r.comment, "created_at": _iso(r.created_at),
                             "conversation_id": r.conversation_id} for r in ratings],
                "tickets": [ticket_dict(t) for t in tickets],
                "order_numbers": list(dict.fromkeys(n for n in numbers if n))[:MAX_ORDERS],
            }
        return profile
