"""SLA targets an admin sets per level, and the breaches: found by the consoles, stored once, sent to every desk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from desk import sla
from desk.db import ACTIVE, Escalation, SlaBreach, SlaTarget
from desk.errors import InvalidInputError
from desk.store.base import StoreBase
from desk.store.records import _aware, _iso, _maybe
from kefu.db import utcnow


class SlaRecords(StoreBase):
    """SLA targets an admin sets per level, and the breaches: found by the consoles, stored once, sent to every desk."""

    def sla_settings(self) -> dict[str, Any]:
        """The targets per level in force, and which levels an admin changed from the settings' defaults."""
        targets = self.sla_targets()
        return {"levels": {level: targets[level].as_dict() for level in sla.LEVELS},
                "defaults": {level: self._sla_defaults[level].as_dict() for level in sla.LEVELS}}

    def set_sla_targets(self, levels: dict[str, dict[str, int]]) -> dict[str, Any]:
        """Set the targets of the levels given (seconds); InvalidInputError names an unknown level or a bad value."""
        checked: dict[str, sla.Targets] = {}
        for level, values in levels.items():
            if level not in sla.LEVELS:
                raise InvalidInputError(f"SLA levels are {', '.join(sla.LEVELS)}, not {level!r}")
            try:
                checked[level] = sla.Targets(int(values["first_response_s"]), int(values["next_response_s"]),
                                             int(values["resolution_s"])).check()
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInputError(f"{level}: {exc}") from None
        with self.session() as s:
            for level, targets in checked.items():
                row = s.get(SlaTarget, level) or SlaTarget(level=level)
                row.first_response_s, row.next_response_s, row.resolution_s = (
                    targets.first_response_s, targets.next_response_s, targets.resolution_s)
                row.updated_at = utcnow()
                s.add(row)
            self._event(s, "sla_targets", 0)
        self._forget_sla_targets()
        return self.sla_settings()

    def check_sla(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Record every deadline of an active hand-over that has passed (once each, whichever console sees it
        first) with a desk event for it and its hand-over; returns the breaches this call recorded."""
        now = now or utcnow()
        targets = self.sla_targets()
        with self.session() as s:
            rows = s.scalars(select(Escalation).where(Escalation.status.in_(ACTIVE))
                             .options(selectinload(Escalation.breaches))).all()
            late: list[tuple[int, str, datetime]] = []
            for e in rows:
                level = sla.level_of(e.tier, e.trigger, e.frustration)
                due = sla.deadlines(targets[level], e.status, _aware(e.created_at), _maybe(e.first_response_at),
                                    _maybe(e.awaiting_since))
                known = {(b.kind, _aware(b.due_at)) for b in e.breaches}
                late += [(e.id, kind, at) for kind, at in due.items()
                         if at is not None and at <= now and (kind, at) not in known]
        found: list[dict[str, Any]] = []
        for escalation_id, kind, at in late:
            try:
                with self.session() as s:
                    breach = SlaBreach(escalation_id=escalation_id, kind=kind, due_at=at, breached_at=now)
                    s.add(breach)
                    s.flush()
                    self._event(s, "sla", breach.id)
                    self._event(s, "escalation", escalation_id)
                    found.append(breach_dict(breach))
            except IntegrityError:  # another console recorded it first
                continue
        return found

    def breaches_between(self, start: datetime, end: datetime) -> list[tuple[int, str]]:
        """(escalation id, kind) of every breach of a hand-over created in [start, end)."""
        with self.session() as s:
            rows = s.execute(select(SlaBreach.escalation_id, SlaBreach.kind)
                             .join(Escalation, Escalation.id == SlaBreach.escalation_id)
                             .where(Escalation.created_at >= start, Escalation.created_at < end)).tuples().all()
        return [(int(e_id), str(kind)) for e_id, kind in rows]


def breach_dict(b: SlaBreach) -> dict[str, Any]:
    """A breach as the live feed sends it."""
    return {"id": b.id, "escalation_id": b.escalation_id, "kind": b.kind, "due_at": _iso(b.due_at),
            "breached_at": _iso(b.breached_at)}
