"""Compensations of service recovery: granted within the giver's limit, else sent to a supervisor; once per
idempotency key, within each customer's cap; every step in the append-only audit log and the desk's live feed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desk.db import Compensation, Escalation
from desk.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from desk.store.audit import AuditRecords
from desk.store.records import _iso
from kefu.compensation import Policy
from kefu.db import utcnow
from kefu.pii import mask

MAX_REASON = 500
# What counts against a customer's cap: all but the declined.
COUNTED = ("granted", "pending", "approved")


def compensation_dict(c: Compensation) -> dict[str, Any]:
    """A compensation as the API shows it (the reason masked: it is free text an agent typed)."""
    return {"id": c.id, "key": c.key, "conversation_id": c.conversation_id, "escalation_id": c.escalation_id,
            "kind": c.kind, "amount": c.amount, "value": c.value, "reason": mask(c.reason), "status": c.status,
            "requested_by": c.requested_by, "requester_role": c.requester_role, "decided_by": c.decided_by,
            "decision_note": mask(c.decision_note) if c.decision_note else None, "code": c.code,
            "created_at": _iso(c.created_at), "decided_at": _iso(c.decided_at)}


class CompensationRecords(AuditRecords):
    """Compensations of service recovery: granted within the giver's limit, else sent to a supervisor; once per
    idempotency key, within each customer's cap; every step audited and sent live to the desks."""

    def _given(self, s: Session, customer: str, policy: Policy) -> float:
        since = utcnow() - timedelta(days=policy.cap_days)
        return float(s.scalar(select(func.coalesce(func.sum(Compensation.value), 0.0)).where(
            Compensation.customer == customer, Compensation.status.in_(COUNTED),
            Compensation.created_at >= since)) or 0.0)

    def compensate(self, policy: Policy, *, key: str, conversation_id: str, kind: str, amount: float, reason: str,
                   actor: str, role: str, customer: str | None = None,
                   escalation_id: int | None = None) -> tuple[dict[str, Any], bool]:
        """Grant (within `role`'s limit) or, for an agent above it, ask a supervisor (status pending). Returns (the
        compensation, whether it is new): the same key again returns the first one unchanged. Over the customer's
        cap, or the bot above its limit: ConflictError, nothing written."""
        key = key.strip()[:128]
        reason = (reason or "").strip()
        if not key:
            raise InvalidInputError("a compensation needs an idempotency key")
        if not reason or len(reason) > MAX_REASON:
            raise InvalidInputError(f"say why, in 1 to {MAX_REASON} characters")
        try:
            value = policy.value(kind, amount)
        except ValueError as exc:
            raise InvalidInputError(str(exc)) from exc
        with self.session() as s:
            old = s.scalar(select(Compensation).where(Compensation.key == key))
            if old is not None:
                return compensation_dict(old), False
        within = value <= policy.limit(role)
        if not within and role not in ("agent", "supervisor", "admin"):
            raise ConflictError(f"¥{value:g} is above what the {role} may grant (¥{policy.limit(role):g})")
        if not within and role != "agent":
            raise ForbiddenError(f"¥{value:g} is above your limit of ¥{policy.limit(role):g}")
        who = customer or conversation_id
        try:
            with self.session() as s:
                given = self._given(s, who, policy)
                if given + value > policy.cap_yuan:
                    raise ConflictError(f"this customer has had ¥{given:g} in {policy.cap_days} days; the cap is "
                                        f"¥{policy.cap_yuan:g}")
                c = Compensation(key=key, conversation_id=conversation_id, customer=who, escalation_id=escalation_id,
                                 kind=kind, amount=float(amount), value=value, reason=reason,
                                 status="granted" if within else "pending", requested_by=actor, requester_role=role)
                s.add(c)
                s.flush()
                self._audit(s, actor, f"compensation_{'granted' if within else 'requested'}", f"compensation:{c.id}",
                            conversation_id, {"kind": kind, "amount": amount, "value": value,
                                              "reason": mask(reason), "role": role})
                self._event(s, "compensation", c.id)
                return compensation_dict(c), True
        except IntegrityError:  # the same key, granted by a concurrent request: that one stands
            with self.session() as s:
                old = s.scalar(select(Compensation).where(Compensation.key == key))
                if old is None:
                    raise
                return compensation_dict(old), False

    def decide(self, policy: Policy, compensation_id: int, *, approve: bool, actor: str, role: str,
               note: str = "") -> dict[str, Any]:
        """A supervisor approves or declines a pending compensation (within their own limit); exactly once."""
        with self.session() as s:
            c = s.get(Compensation, compensation_id)
            if c is None:
                raise NotFoundError(f"no compensation {compensation_id}")
            if approve and c.value > policy.limit(role):
                raise ForbiddenError(f"¥{c.value:g} is above your limit of ¥{policy.limit(role):g}")
            status = "approved" if approve else "declined"
            result = s.execute(update(Compensation).where(Compensation.id == compensation_id,
                                                          Compensation.status == "pending")
                               .values(status=status, decided_by=actor, decided_at=utcnow(),
                                       decision_note=note.strip()[:MAX_REASON] or None)
                               .execution_options(synchronize_session=False))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError(f"compensation {compensation_id} is {c.status} already")
            self._audit(s, actor, f"compensation_{status}", f"compensation:{compensation_id}", c.conversation_id,
                        {"kind": c.kind, "amount": c.amount, "value": c.value, "note": mask(note.strip())})
            self._event(s, "compensation", compensation_id)
            s.refresh(c)
            return compensation_dict(c)

    def set_compensation_code(self, compensation_id: int, code: str) -> dict[str, Any]:
        """Record the coupon or refund reference the order system issued for a granted or approved compensation."""
        with self.session() as s:
            c = s.get(Compensation, compensation_id)
            if c is None:
                raise NotFoundError(f"no compensation {compensation_id}")
            if c.code is None:
                c.code = code[:64]
                self._event(s, "compensation", compensation_id)
            return compensation_dict(c)

    def compensation(self, compensation_id: int) -> dict[str, Any]:
        """One compensation."""
        with self.session() as s:
            c = s.get(Compensation, compensation_id)
            if c is None:
                raise NotFoundError(f"no compensation {compensation_id}")
            return compensation_dict(c)

    def compensations(self, *, conversation_id: str | None = None, status: str | None = None,
                      limit: int = 200) -> list[dict[str, Any]]:
        """Compensations, newest first: a conversation's, or all with a status (the supervisors' pending list)."""
        query = select(Compensation).order_by(Compensation.id.desc()).limit(limit)
        if conversation_id is not None:
            query = query.where(Compensation.conversation_id == conversation_id)
        if status is not None:
            query = query.where(Compensation.status == status)
        with self.session() as s:
            return [compensation_dict(c) for c in s.scalars(query)]

    def mark_told(self, compensation_id: int, status: str) -> bool:
        """Note that the customer heard this status; False when they had already (a repeated notice)."""
        with self.session() as s:
            result = s.execute(update(Compensation).where(Compensation.id == compensation_id,
                                                          Compensation.status == status,
                                                          (Compensation.told.is_(None)) | (Compensation.told != status))
                               .values(told=status).execution_options(synchronize_session=False))
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def escalation_customer(self, escalation_id: int) -> tuple[str, str | None]:
        """(conversation id, the shop's customer id if known) of a hand-over."""
        with self.session() as s:
            e = s.get(Escalation, escalation_id)
            if e is None:
                raise NotFoundError(f"no escalation {escalation_id}")
            return e.conversation_id, e.customer_key
