"""The desk store's foundation: sessions that map database failures, the event feed's writes, escalation rows."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from desk import sla
from desk.db import Escalation, Event, SlaTarget, session_factory
from desk.errors import ConflictError, DeskUnavailableError, ForbiddenError, NotFoundError
from desk.queue import QueueRules, priority
from desk.store.records import _aware, _iso, _maybe, label_dict, masked_summary
from kefu.db import unavailable_as, utcnow


class StoreBase:
    """The desk store's foundation: sessions that map database failures, the event feed's writes, escalation rows."""

    def __init__(self, url: str, rules: QueueRules | None = None, presence_ttl_s: float = 60.0) -> None:
        self.url = url
        self.rules = rules or QueueRules()
        self.presence_ttl_s = presence_ttl_s
        with unavailable_as(DeskUnavailableError, "the desk's database"):
            self._sessions = session_factory(url)
        self._sla_defaults = sla.parse_targets(self.rules.sla)
        self._sla_cache: tuple[float, dict[str, sla.Targets]] | None = None
        self._sla_lock = threading.Lock()

    # Every queue read shows each hand-over's deadlines: the admins' targets are read at most every few seconds per
    # process (another console's change shows within SLA_CACHE_S).
    SLA_CACHE_S = 5.0

    def sla_targets(self) -> dict[str, sla.Targets]:
        """The SLA targets per level: an admin's where set, else the settings'."""
        with self._sla_lock:
            cached = self._sla_cache
            if cached is not None and time.monotonic() - cached[0] < self.SLA_CACHE_S:
                return cached[1]
        with self.session() as s:
            rows = s.scalars(select(SlaTarget)).all()
        targets = dict(self._sla_defaults)
        for row in rows:
            if row.level in targets:
                targets[row.level] = sla.Targets(row.first_response_s, row.next_response_s, row.resolution_s)
        with self._sla_lock:
            self._sla_cache = (time.monotonic(), targets)
        return targets

    def _forget_sla_targets(self) -> None:
        with self._sla_lock:
            self._sla_cache = None

    def sla_dict(self, e: Escalation, targets: dict[str, sla.Targets] | None = None) -> dict[str, Any]:
        """A hand-over's SLA: its level and targets, the deadlines still running, and the breaches recorded."""
        level = sla.level_of(e.tier, e.trigger, e.frustration)
        chosen = (targets or self.sla_targets())[level]
        due = sla.deadlines(chosen, e.status, _aware(e.created_at), _maybe(e.first_response_at),
                            _maybe(e.awaiting_since))
        return {"level": level, "targets": chosen.as_dict(),
                **{f"{kind}_due": _iso(at) for kind, at in due.items()},
                "breaches": [{"kind": b.kind, "due_at": _iso(b.due_at), "breached_at": _iso(b.breached_at)}
                             for b in e.breaches]}

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
    def _get(s: Session, model: Any, row_id: int, what: str) -> Any:
        """The row of `model` with this id (a canned reply, a label, a team), or NotFoundError naming it."""
        row = s.get(model, row_id)
        if row is None:
            raise NotFoundError(f"no {what} {row_id}")
        return row

    @staticmethod
    def _name_free(s: Session, model: Any, name: str, what: str, other_than: int | None = None) -> None:
        """ConflictError when another row of `model` (a label, a team) has this name in any case."""
        query = select(model.id).where(func.lower(model.name) == name.lower())
        if other_than is not None:
            query = query.where(model.id != other_than)
        if s.scalar(query) is not None:
            raise ConflictError(f"a {what} named {name!r} exists")

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
            "position": position, "summary": masked_summary(e.summary or {}),
            "labels": [label_dict(label) for label in e.labels],
            "sla": self.sla_dict(e), "category": e.category,
            "team": {"id": e.team.id, "name": e.team.name} if e.team else None,
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
