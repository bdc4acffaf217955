"""The desk store's foundation: sessions that map database failures, the event feed's writes, escalation rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from desk.db import Escalation, Event, session_factory
from desk.errors import ConflictError, DeskUnavailableError, ForbiddenError, NotFoundError
from desk.queue import QueueRules, priority
from desk.store.records import _aware, _iso, label_dict
from kefu.db import unavailable_as, utcnow


class StoreBase:
    """The desk store's foundation: sessions that map database failures, the event feed's writes, escalation rows."""

    def __init__(self, url: str, rules: QueueRules | None = None, presence_ttl_s: float = 60.0) -> None:
        self.url = url
        self.rules = rules or QueueRules()
        self.presence_ttl_s = presence_ttl_s
        with unavailable_as(DeskUnavailableError, "the desk's database"):
            self._sessions = session_factory(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error; database failures raise DeskUnavailableError."""
        with unavailable_as(DeskUnavailableError, "the desk's database"), self._sessions() as session, \
                session.begin():
            yield session

    @staticmethod
    def _event(s: Session, kind: str, ref_id: int) -> None:
        s.add(Event(kind=kind, ref_id=ref_id))

    @staticmethod
    def _loads(s: Session) -> dict[int, int]:
        """How many conversations each agent holds now (claimed escalations per agent id)."""
        rows = s.execute(select(Escalation.agent_id, func.count(Escalation.id))
                         .where(Escalation.status == "claimed").group_by(Escalation.agent_id)).tuples().all()
        return {int(agent_id): int(count) for agent_id, count in rows if agent_id is not None}

    def escalation_dict(self, e: Escalation, now: datetime | None = None,
                        position: int | None = None) -> dict[str, Any]:
        """An escalation as the API shows it, with its priority as of now."""
        now = now or utcnow()
        return {
            "id": e.id, "conversation_id": e.conversation_id, "channel": e.channel, "language": e.language,
            "status": e.status, "tier": e.tier, "trigger": e.trigger, "reason": e.reason,
            "frustration": round(e.frustration, 3),
            "priority": priority(e.frustration, e.tier, e.trigger, _aware(e.created_at), now, self.rules),
            "created_at": _iso(e.created_at), "claimed_at": _iso(e.claimed_at), "resolved_at": _iso(e.resolved_at),
            "agent": {"id": e.agent.id, "display_name": e.agent.display_name} if e.agent else None,
            "position": position, "summary": e.summary or {}, "labels": [label_dict(label) for label in e.labels],
        }

    def _load(self, s: Session, escalation_id: int) -> Escalation:
        e = s.get(Escalation, escalation_id, options=[selectinload(Escalation.agent)])
        if e is None:
            raise NotFoundError(f"no escalation {escalation_id}")
        return e

    def _owned(self, s: Session, escalation_id: int, agent_id: int) -> Escalation:
        e = self._load(s, escalation_id)
        if e.status != "claimed":
            raise ConflictError(f"escalation {escalation_id} is {e.status}; claim it first")
        if e.agent_id != agent_id:
            who = e.agent.display_name if e.agent else "another agent"
            raise ForbiddenError(f"escalation {escalation_id} is claimed by {who}; ask them to transfer it")
        return e
