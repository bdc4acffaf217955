"""The desk's facts for the ops dashboard: escalations (with labels), first agent replies and ratings in a range.

Read here, in the store that owns the tables, so the dashboard gets database failures as DeskUnavailableError and
never touches the desk's tables itself; console/analytics.py keeps the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from desk.db import Compensation, Escalation, EscalationLabel, Message, Rating
from desk.store.base import StoreBase
from desk.store.records import _aware


@dataclass(frozen=True)
class EscalationFacts:
    """What the dashboard needs of one escalation; times are aware UTC."""

    id: int
    trigger: str
    status: str
    channel: str
    language: str
    created_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    conversation_id: str = ""
    labels: tuple[int, ...] = ()  # label ids
    frustration: float = 0.0
    customer_key: str | None = None  # the shop's own customer id, when the page or backend sent one


@dataclass(frozen=True)
class RatingFacts:
    """One rating with its hand-over's channel and language (None for a rating without a hand-over)."""

    score: int
    created_at: datetime
    conversation_id: str
    channel: str | None
    language: str | None
    escalation_id: int | None = None
    nps: int | None = None


@dataclass(frozen=True)
class CompensationFacts:
    """One granted or approved compensation: its yuan value, kind, where it came from, and its hand-over's channel
    and language (None for the bot's, given outside a hand-over)."""

    value: float
    kind: str
    source: str  # late_order (the bot), agent, supervisor
    created_at: datetime
    conversation_id: str
    channel: str | None
    language: str | None


def _source(role: str, key: str) -> str:
    if role == "bot":
        return "late_order" if key.startswith("late-order:") else "bot"
    return "supervisor" if role in ("supervisor", "admin") else "agent"


def _maybe(value: datetime | None) -> datetime | None:
    return None if value is None else _aware(value)


class ReportRecords(StoreBase):
    """The desk's facts for the ops dashboard: escalations (with labels), first agent replies and ratings in a range."""

    def escalations_between(self, start: datetime, end: datetime) -> list[EscalationFacts]:
        """Escalations created in [start, end), with their labels."""
        in_range = (Escalation.created_at >= start, Escalation.created_at < end)
        with self.session() as s:
            rows = s.execute(select(Escalation.id, Escalation.trigger, Escalation.status, Escalation.channel,
                                    Escalation.language, Escalation.created_at, Escalation.claimed_at,
                                    Escalation.resolved_at, Escalation.conversation_id, Escalation.frustration,
                                    Escalation.customer_key).where(*in_range)).all()
            labelled = s.execute(select(EscalationLabel.escalation_id, EscalationLabel.label_id)
                                 .join(Escalation, Escalation.id == EscalationLabel.escalation_id)
                                 .where(*in_range)).tuples().all()
        labels: dict[int, list[int]] = {}
        for escalation_id, label_id in labelled:
            labels.setdefault(int(escalation_id), []).append(int(label_id))
        return [EscalationFacts(int(r.id), str(r.trigger), str(r.status), str(r.channel), str(r.language),
                                _aware(r.created_at), _maybe(r.claimed_at), _maybe(r.resolved_at),
                                str(r.conversation_id), tuple(sorted(labels.get(int(r.id), ()))),
                                float(r.frustration or 0.0), r.customer_key) for r in rows]

    def first_agent_replies(self, start: datetime, end: datetime) -> dict[int, datetime]:
        """Escalation id to its first agent message, for escalations created in [start, end)."""
        with self.session() as s:
            rows = s.execute(select(Message.escalation_id, func.min(Message.created_at))
                             .join(Escalation, Message.escalation_id == Escalation.id)
                             .where(Message.role == "agent", Escalation.created_at >= start,
                                    Escalation.created_at < end)
                             .group_by(Message.escalation_id)).tuples().all()
        return {int(escalation_id): _aware(at) for escalation_id, at in rows}

    def compensations_between(self, start: datetime, end: datetime) -> list[CompensationFacts]:
        """Compensations granted or approved in [start, end) (by when they were asked for), with their hand-over's
        channel and language where there was one."""
        with self.session() as s:
            rows = s.execute(select(Compensation.value, Compensation.kind, Compensation.requester_role,
                                    Compensation.created_at, Compensation.conversation_id, Escalation.channel,
                                    Escalation.language, Compensation.key)
                             .outerjoin(Escalation, Compensation.escalation_id == Escalation.id)
                             .where(Compensation.created_at >= start, Compensation.created_at < end,
                                    Compensation.status.in_(("granted", "approved")))).all()
        return [CompensationFacts(float(r.value), str(r.kind), _source(str(r.requester_role), str(r.key)),
                                  _aware(r.created_at), str(r.conversation_id), r.channel, r.language) for r in rows]

    def ratings_between(self, start: datetime, end: datetime) -> list[RatingFacts]:
        """Ratings given in [start, end), with their hand-over's channel and language where there was one."""
        with self.session() as s:
            rows = s.execute(select(Rating.score, Rating.created_at, Rating.conversation_id, Escalation.channel,
                                    Escalation.language, Rating.escalation_id, Rating.nps)
                             .outerjoin(Escalation, Rating.escalation_id == Escalation.id)
                             .where(Rating.created_at >= start, Rating.created_at < end)).all()
        return [RatingFacts(int(r.score), _aware(r.created_at), str(r.conversation_id), r.channel, r.language,
                            None if r.escalation_id is None else int(r.escalation_id),
                            None if r.nps is None else int(r.nps)) for r in rows]
