"""Which conversations are one customer's: those the shop vouched for with a signed customer id (kefu/identity.py),
whatever the channel; and what is still open for them (a hand-over, a ticket), for the bot's welcome back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from desk.db import CustomerLink, Escalation, Ticket
from desk.store.base import StoreBase
from desk.store.records import _iso
from kefu.db import utcnow

MAX_LINKED = 50
ACTIVE = ("waiting", "claimed")


@dataclass(frozen=True)
class OpenMatters:
    """What is still open in a customer's conversations: the newest live hand-over and the newest open ticket."""

    escalation: dict[str, Any] | None = None
    ticket: dict[str, Any] | None = None


class IdentityRecords(StoreBase):
    """A verified customer's conversations on every channel, and what is open in them."""

    def link_customer(self, customer_key: str, conversation_id: str, channel: str) -> None:
        """Record that this conversation is the verified customer's (idempotent; refreshes when it was last seen)."""
        key, cid = customer_key.strip()[:128], conversation_id.strip()[:128]
        if not key or not cid:
            return
        now = utcnow()
        with self.session() as s:
            result: Any = s.execute(update(CustomerLink).where(CustomerLink.customer_key == key,
                                                               CustomerLink.conversation_id == cid)
                                    .values(last_seen_at=now))
            done = result.rowcount
        if done:
            return
        try:
            with self.session() as s:
                s.add(CustomerLink(customer_key=key, conversation_id=cid, channel=channel[:32] or "unknown",
                                   created_at=now, last_seen_at=now))
        except IntegrityError:
            pass  # another replica linked it a moment ago

    def linked_conversations(self, conversation_id: str, customer_key: str | None = None) -> list[str]:
        """This conversation and the others of the same verified customer (its own links, or `customer_key`'s),
        most recently seen first; only this one when none was verified."""
        with self.session() as s:
            keys = set(s.scalars(select(CustomerLink.customer_key)
                                 .where(CustomerLink.conversation_id == conversation_id)))
            if customer_key:
                keys.add(customer_key)
            if not keys:
                return [conversation_id]
            others = s.scalars(select(CustomerLink.conversation_id).where(CustomerLink.customer_key.in_(keys))
                               .order_by(CustomerLink.last_seen_at.desc()).limit(MAX_LINKED)).all()
        return list(dict.fromkeys([conversation_id, *others]))

    def customer_conversations(self, customer_key: str) -> list[str]:
        """Every conversation linked to the customer id, or handed over with it (for "forget me")."""
        with self.session() as s:
            linked = s.scalars(select(CustomerLink.conversation_id).where(CustomerLink.customer_key == customer_key))
            handed = s.scalars(select(Escalation.conversation_id).where(Escalation.customer_key == customer_key))
            return sorted(set(linked) | set(handed))

    def open_matters(self, conversation_ids: list[str]) -> OpenMatters:
        """The newest live hand-over and the newest open ticket in these conversations."""
        if not conversation_ids:
            return OpenMatters()
        with self.session() as s:
            escalation = s.scalars(select(Escalation).where(Escalation.conversation_id.in_(conversation_ids),
                                                            Escalation.status.in_(ACTIVE))
                                   .order_by(Escalation.created_at.desc()).limit(1)).first()
            ticket = s.scalars(select(Ticket).where(Ticket.conversation_id.in_(conversation_ids),
                                                    Ticket.status == "open")
                               .order_by(Ticket.created_at.desc()).limit(1)).first()
            return OpenMatters(
                escalation=None if escalation is None else {
                    "id": escalation.id, "conversation_id": escalation.conversation_id,
                    "status": escalation.status, "created_at": _iso(escalation.created_at)},
                ticket=None if ticket is None else {
                    "id": ticket.id, "conversation_id": ticket.conversation_id,
                    "created_at": _iso(ticket.created_at)})
