"""Escalations: opening a hand-over, the queue and positions, claiming, transferring, resolving, cancelling."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from desk.db import ACTIVE, Agent, Escalation, Message, Team
from desk.errors import ConflictError, NotFoundError
from desk.queue import priority
from desk.store.base import StoreBase
from desk.store.records import _aware
from kefu.db import utcnow


class EscalationRecords(StoreBase):
    """Escalations: opening a hand-over, the queue and positions, claiming, transferring, resolving, cancelling."""

    def create_escalation(self, conversation_id: str, *, channel: str, language: str, tier: str, trigger: str,
                          reason: str, frustration: float, summary: dict[str, Any],
                          status: str = "waiting") -> tuple[dict[str, Any], bool]:
        """Open a hand-over; returns it and whether it is new (a retried trigger finds the active one).

        `offline` records a trigger no agent could take (no one online, outside hours); it never enters the queue.
        """
        try:
            with self.session() as s:
                category, team_id = self._route(s, summary)
                e = Escalation(conversation_id=conversation_id, channel=channel, language=language, tier=tier,
                               trigger=trigger, reason=reason, frustration=frustration, summary=summary,
                               status=status, category=category, team_id=team_id,
                               customer_key=str(summary.get("customer_id") or "")[:128] or None)
                s.add(e)
                s.flush()
                self._event(s, "escalation", e.id)
                created_id = e.id
        except IntegrityError:
            active = self.active_for(conversation_id)
            if active is None:  # the other one ended in between: try once more
                return self.create_escalation(conversation_id, channel=channel, language=language, tier=tier,
                                              trigger=trigger, reason=reason, frustration=frustration,
                                              summary=summary, status=status)
            return active, False
        return self.get_escalation(created_id), True

    @staticmethod
    def _route(s: Session, summary: dict[str, Any]) -> tuple[str | None, int | None]:
        """What the hand-over is about and the team that covers it: the knowledge base's category for the last
        real question, else the detected intent; the first team (by id) listing either; (category, None) for
        anyone."""
        candidates = summary.get("kb_candidates") or []
        top = candidates[0] if candidates and isinstance(candidates[0], dict) else {}
        intent = summary.get("intent") if isinstance(summary.get("intent"), str) else None
        category = str(top.get("category") or "") or intent
        keys = {k for k in (category, intent) if k}
        if not keys:
            return None, None
        for team_id, categories in s.execute(select(Team.id, Team.categories).order_by(Team.id)).tuples().all():
            if keys & set(categories or []):
                return category, int(team_id)
        return category, None

    def get_escalation(self, escalation_id: int) -> dict[str, Any]:
        """One escalation with its queue position (when waiting)."""
        with self.session() as s:
            item = self.escalation_dict(self._load(s, escalation_id))
        if item["status"] == "waiting":
            item["position"] = self.positions().get(escalation_id)
        return item

    def check_owned(self, escalation_id: int, agent_id: int) -> dict[str, Any]:
        """The conversation and channel of a hand-over this agent holds; ConflictError or ForbiddenError if not."""
        with self.session() as s:
            e = self._owned(s, escalation_id, agent_id)
            return {"conversation_id": e.conversation_id, "channel": e.channel}

    def active_for(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's waiting or claimed escalation, if any."""
        with self.session() as s:
            e = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                      Escalation.status.in_(ACTIVE)))
        return None if e is None else self.get_escalation(e)

    def last_for(self, conversation_id: str) -> dict[str, Any] | None:
        """The conversation's most recent escalation, whatever its state."""
        with self.session() as s:
            e = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id)
                         .order_by(Escalation.id.desc()).limit(1))
        return None if e is None else self.get_escalation(e)

    def queue(self, now: datetime | None = None, label_id: int | None = None) -> list[dict[str, Any]]:
        """Active escalations: waiting ones by priority (highest first), then claimed ones by priority; with
        `label_id`, only those carrying that label (positions stay those of the whole queue)."""
        now = now or utcnow()
        with self.session() as s:
            rows = s.scalars(select(Escalation).where(Escalation.status.in_(ACTIVE))
                             .options(selectinload(Escalation.agent))).all()
            items = [self.escalation_dict(e, now) for e in rows]
        items.sort(key=lambda d: (d["status"] != "waiting", -d["priority"], d["id"]))
        for number, item in enumerate(i for i in items if i["status"] == "waiting"):
            item["position"] = number + 1
        if label_id is not None:
            items = [i for i in items if any(label["id"] == label_id for label in i["labels"])]
        return items

    def positions(self, now: datetime | None = None) -> dict[int, int]:
        """Queue position (1 = next) of every waiting escalation, in the queue's order."""
        now = now or utcnow()
        # Only the columns that order the queue: every message of a customer in the queue asks for positions, and
        # whole rows (summaries decoded from JSON, agents loaded) cost the action server and the console a core's
        # fifth under load with a long queue.
        with self.session() as s:
            rows = s.execute(select(Escalation.id, Escalation.frustration, Escalation.tier, Escalation.trigger,
                                    Escalation.created_at).where(Escalation.status == "waiting")).tuples().all()
        ranked = sorted(rows, key=lambda r: (-priority(r[1], r[2], r[3], _aware(r[4]), now, self.rules), r[0]))
        return {row[0]: number for number, row in enumerate(ranked, 1)}

    def set_told_position(self, escalation_id: int, position: int | None) -> None:
        """Remember the position the customer was last told."""
        with self.session() as s:
            s.execute(update(Escalation).where(Escalation.id == escalation_id).values(told_position=position))

    def told_position(self, escalation_id: int) -> int | None:
        """The position the customer was last told."""
        with self.session() as s:
            return s.scalar(select(Escalation.told_position).where(Escalation.id == escalation_id))

    def position_changes(self) -> list[tuple[dict[str, Any], int]]:
        """Waiting escalations now ahead of the place their customer was last told, each as its id, conversation,
        channel and new position, with the place told."""
        # Better places only: while agents take customers from the front everyone moves up and hears it, but a
        # customer who arrives ahead (angrier, VIP) and is taken a moment later would tell everyone behind "one more
        # ahead", then "one fewer". Asked, a customer always hears the current place (and it is remembered).
        # From positions() and one narrow query, not queue(): the console asks after every queue change.
        positions = self.positions()
        with self.session() as s:
            rows = s.execute(select(Escalation.id, Escalation.conversation_id, Escalation.channel,
                                    Escalation.told_position).where(
                Escalation.status == "waiting", Escalation.told_position.is_not(None))).tuples().all()
        return [({"id": e_id, "conversation_id": conversation, "channel": channel, "status": "waiting",
                  "position": positions[e_id]}, int(told or 0))
                for e_id, conversation, channel, told in sorted(rows, key=lambda r: positions.get(r[0], 0))
                if e_id in positions and told is not None and positions[e_id] < told]

    def claim(self, escalation_id: int, agent_id: int) -> dict[str, Any]:
        """Give a waiting escalation to this agent; one UPDATE ... WHERE status='waiting', so only one agent wins."""
        with self.session() as s:
            result = s.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == "waiting")
                .values(status="claimed", agent_id=agent_id, claimed_at=utcnow(), told_position=None,
                        auto_assigned=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                e = self._load(s, escalation_id)
                who = e.agent.display_name if e.agent else "nobody"
                raise ConflictError(f"escalation {escalation_id} is {e.status} (agent: {who}); it cannot be claimed")
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)

    def transfer(self, escalation_id: int, agent_id: int, to_agent_id: int) -> dict[str, Any]:
        """Hand a claimed escalation from its agent to another active agent."""
        with self.session() as s:
            self._owned(s, escalation_id, agent_id)
            target = s.get(Agent, to_agent_id)
            if target is None or not target.active:
                raise NotFoundError(f"no active agent {to_agent_id}")
            s.execute(update(Escalation).where(Escalation.id == escalation_id).values(agent_id=to_agent_id))
            s.add(Message(escalation_id=escalation_id, role="system",
                          text=f"transferred to {target.display_name}"))
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)

    def resolve(self, escalation_id: int, agent_id: int) -> dict[str, Any]:
        """End a claimed escalation; the bot takes the conversation back."""
        with self.session() as s:
            self._owned(s, escalation_id, agent_id)
            s.execute(update(Escalation).where(Escalation.id == escalation_id)
                      .values(status="resolved", resolved_at=utcnow()))
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)

    def cancel(self, conversation_id: str) -> dict[str, Any] | None:
        """The customer gave up waiting (or went back to the bot): end the active escalation, if any."""
        with self.session() as s:
            e_id = s.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation_id,
                                                         Escalation.status.in_(ACTIVE)))
            if e_id is None:
                return None
            s.execute(update(Escalation).where(Escalation.id == e_id)
                      .values(status="cancelled", resolved_at=utcnow()))
            self._event(s, "escalation", e_id)
        return self.get_escalation(e_id)

    def avg_handle_seconds(self, last: int = 50) -> float:
        """Mean claim-to-resolve time of the last resolved escalations, or the configured default."""
        with self.session() as s:
            rows = s.execute(select(Escalation.claimed_at, Escalation.resolved_at)
                             .where(Escalation.status == "resolved", Escalation.claimed_at.is_not(None))
                             .order_by(Escalation.id.desc()).limit(last)).all()
        spans = [(_aware(r) - _aware(c)).total_seconds() for c, r in rows if c and r]
        return sum(spans) / len(spans) if spans else self.rules.default_handle_s
