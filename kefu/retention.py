"""Retention and "forget me": delete conversations past the retention period, or one customer's on request, from
Rasa's tracker store, the desk and the review queue together. Ratings are kept for the figures, anonymised."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, MetaData, Table, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from desk.attachments import FileStore
from desk.db import Attachment, CustomerLink, Escalation, Event, Message, Note, Rating, Ticket
from desk.db import session_factory as desk_sessions
from desk.service import desk_store
from kefu.config import Settings
from kefu.db import make_engine, utcnow
from knowledge_base.db import ReviewCluster, ReviewItem
from knowledge_base.db import session_factory as kb_sessions

ACTIVE = ("waiting", "claimed")
ANONYMOUS = "forgotten"


@dataclass
class RemovalReport:
    """What a purge or a forget-me removed (or, in a dry run, would remove)."""

    dry_run: bool
    conversations: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    skipped_active: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"dry_run": self.dry_run, "conversations": len(self.conversations),
                "conversation_ids": self.conversations, "removed": dict(self.counts),
                "skipped_active": self.skipped_active}

    def summary(self) -> str:
        """One line for people."""
        verb = "would remove" if self.dry_run else "removed"
        parts = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()) if n) or "nothing else"
        skipped = f"; {len(self.skipped_active)} with a live hand-over kept" if self.skipped_active else ""
        return f"{verb} {len(self.conversations)} conversations: {parts}{skipped}"


def parse_age(text: str) -> timedelta:
    """`180d`, `12w`, `36h` or a bare number of days, as a timedelta."""
    value = text.strip().lower()
    unit = value[-1] if value and value[-1] in "dwh" else "d"
    number = value[:-1] if value and value[-1] in "dwh" else value
    if not number.isdigit() or int(number) <= 0:
        raise ValueError(f"an age is a positive number of days, weeks or hours such as 180d, 12w or 36h, not {text!r}")
    return {"d": timedelta(days=int(number)), "w": timedelta(weeks=int(number)),
            "h": timedelta(hours=int(number))}[unit]


def _events_table(engine: Engine) -> Table | None:
    # Rasa creates its `events` table on first start; a fresh database may not have it yet.
    if not inspect(engine).has_table("events"):
        return None
    return Table("events", MetaData(), autoload_with=engine)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Retention:
    """Deletes conversations across the tracker store, the desk and the review queue."""

    def __init__(self, settings: Settings) -> None:
        self.tracker = make_engine(settings.tracker_url)
        self.desk = desk_sessions(settings.desk_url)
        self.desk_store = desk_store(settings)
        self.kb = kb_sessions(settings.kb_url)
        self.files = FileStore(settings.attachments_path)

    def _last_activity(self) -> dict[str, datetime]:
        """Every conversation id any table knows, with the time of its newest row."""
        last: dict[str, datetime] = {}

        def see(conversation_id: str, at: datetime | None) -> None:
            if at is not None and (conversation_id not in last or _aware(at) > last[conversation_id]):
                last[conversation_id] = _aware(at)

        events = _events_table(self.tracker)
        if events is not None:
            with self.tracker.connect() as c:
                for sender, ts in c.execute(select(events.c.sender_id, func.max(events.c.timestamp))
                                            .group_by(events.c.sender_id)):
                    see(sender, datetime.fromtimestamp(float(ts), UTC) if ts is not None else None)
        with self.desk() as s:
            for cid, at in s.execute(select(Escalation.conversation_id, func.max(Escalation.created_at))
                                     .group_by(Escalation.conversation_id)):
                see(cid, at)
            for cid, at in s.execute(select(Ticket.conversation_id, func.max(Ticket.created_at))
                                     .group_by(Ticket.conversation_id)):
                see(cid, at)
        with self.kb() as s:
            for cid, at in s.execute(select(ReviewItem.conversation_id, func.max(ReviewItem.created_at))
                                     .group_by(ReviewItem.conversation_id)):
                see(cid, at)
        return last

    def _containing(self, values: list[str]) -> set[str]:
        """Conversations in which any of the values (a phone number, an e-mail address) was written."""
        found: set[str] = set()
        if not values:
            return found
        events = _events_table(self.tracker)
        if events is not None:
            with self.tracker.connect() as c:
                found |= set(c.scalars(select(events.c.sender_id).distinct()
                                       .where(or_(*[events.c.data.contains(v) for v in values]))))
        with self.desk() as s:
            found |= set(s.scalars(select(Escalation.conversation_id).join(Message)
                                   .where(or_(*[Message.text.contains(v) for v in values]))))
            found |= set(s.scalars(select(Ticket.conversation_id).where(
                or_(*[Ticket.message.contains(v) for v in values], *[Ticket.contact.contains(v) for v in values]))))
        with self.kb() as s:
            found |= set(s.scalars(select(ReviewItem.conversation_id)
                                   .where(or_(*[ReviewItem.text.contains(v) for v in values]))))
        return found

    def _active(self, conversation_ids: set[str]) -> set[str]:
        with self.desk() as s:
            return set(s.scalars(select(Escalation.conversation_id).where(
                Escalation.conversation_id.in_(conversation_ids), Escalation.status.in_(ACTIVE))))

    def _remove_desk(self, s: Session, ids: list[str], report: RemovalReport) -> list[str]:
        """Delete the conversations' desk rows; the storage keys of their files, to delete once committed."""
        escalations = list(s.scalars(select(Escalation.id).where(Escalation.conversation_id.in_(ids))))
        files = list(s.execute(select(Attachment.id, Attachment.key).where(Attachment.conversation_id.in_(ids))))
        report.counts["attachments"] += len(files)
        tickets = list(s.scalars(select(Ticket.id).where(Ticket.conversation_id.in_(ids))))
        messages = list(s.scalars(select(Message.id).where(Message.escalation_id.in_(escalations))))
        notes = list(s.scalars(select(Note.id).where(Note.escalation_id.in_(escalations))))
        ratings = s.scalar(select(func.count(Rating.id)).where(Rating.conversation_id.in_(ids))) or 0
        links = s.scalar(select(func.count(CustomerLink.id)).where(CustomerLink.conversation_id.in_(ids))) or 0
        report.counts.update({"escalations": len(escalations), "desk_messages": len(messages),
                              "notes": len(notes), "tickets": len(tickets), "ratings_anonymised": ratings,
                              "customer_links": links})
        if report.dry_run:
            return []
        # Ratings stay for CSAT, with nothing left that leads back to the customer.
        s.execute(update(Rating).where(Rating.conversation_id.in_(ids))
                  .values(conversation_id=ANONYMOUS, escalation_id=None, comment=None))
        for kind, refs in (("message", messages), ("note", notes), ("escalation", escalations),
                           ("ticket", tickets)):
            s.execute(delete(Event).where(Event.kind == kind, Event.ref_id.in_(refs)))
        s.execute(delete(Message).where(Message.id.in_(messages)))
        s.execute(delete(Note).where(Note.id.in_(notes)))
        s.execute(delete(Escalation).where(Escalation.id.in_(escalations)))
        s.execute(delete(Ticket).where(Ticket.id.in_(tickets)))
        s.execute(delete(Attachment).where(Attachment.id.in_([i for i, _ in files])))
        # What joined the conversation to the customer's others: the bot remembers nothing of it afterwards.
        s.execute(delete(CustomerLink).where(CustomerLink.conversation_id.in_(ids)))
        return [str(key) for _, key in files]

    def _remove_review(self, s: Session, ids: list[str], report: RemovalReport) -> None:
        items = list(s.execute(select(ReviewItem.id, ReviewItem.cluster_id).where(ReviewItem.conversation_id.in_(ids))))
        report.counts["review_items"] += len(items)
        if report.dry_run or not items:
            return
        s.execute(delete(ReviewItem).where(ReviewItem.id.in_([i for i, _ in items])))
        for cluster_id in {c for _, c in items}:
            left = s.scalar(select(func.count(ReviewItem.id)).where(ReviewItem.cluster_id == cluster_id)) or 0
            if left:
                s.execute(update(ReviewCluster).where(ReviewCluster.id == cluster_id).values(count=left))
            else:  # nothing is left to show for it; a resolved cluster keeps its record of what ops did
                s.execute(delete(ReviewCluster).where(ReviewCluster.id == cluster_id,
                                                      ReviewCluster.status == "open"))
                s.execute(update(ReviewCluster).where(ReviewCluster.id == cluster_id).values(count=0))

    def _remove(self, ids: set[str], dry_run: bool) -> RemovalReport:
        active = self._active(ids) if ids else set()
        keep = sorted(ids - active)
        report = RemovalReport(dry_run=dry_run, conversations=keep, skipped_active=sorted(active))
        if not keep:
            return report
        events = _events_table(self.tracker)
        if events is not None:
            with self.tracker.begin() as c:
                report.counts["tracker_events"] = int(c.scalar(select(func.count()).select_from(events)
                                                              .where(events.c.sender_id.in_(keep))) or 0)
                if not dry_run:
                    c.execute(delete(events).where(events.c.sender_id.in_(keep)))
        with self.desk() as s, s.begin():
            keys = self._remove_desk(s, keep, report)
        for key in keys:  # after the commit: a failed delete must not leave rows pointing at missing files
            self.files.delete(key)
        with self.kb() as s, s.begin():
            self._remove_review(s, keep, report)
        return report

    def purge(self, older_than: timedelta, dry_run: bool = False) -> RemovalReport:
        """Remove every conversation whose newest row is older than `older_than` (live hand-overs are kept)."""
        cutoff = utcnow() - older_than
        return self._remove({cid for cid, at in self._last_activity().items() if at < cutoff}, dry_run)

    def _customers(self, customer_ids: list[str]) -> set[str]:
        """Every conversation, on any channel, of these shop customer ids (verified links and hand-overs)."""
        return {c for key in customer_ids if key.strip() for c in self.desk_store.customer_conversations(key.strip())}

    def forget(self, conversation_ids: list[str], values: list[str], dry_run: bool = False,
               customer_ids: list[str] | None = None) -> RemovalReport:
        """Remove the given conversations, every conversation of the given shop customer ids, and every
        conversation, on any channel, in which the values were written."""
        wanted = {c.strip() for c in conversation_ids if c.strip()}
        wanted |= self._customers(customer_ids or [])
        wanted |= self._containing([v.strip() for v in values if len(v.strip()) >= 5])
        return self._remove(wanted, dry_run)
