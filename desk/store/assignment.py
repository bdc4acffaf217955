"""Auto-assignment: waiting escalations go to online agents with room, so nobody has to pick them from the queue.

An agent who does not answer an escalation assigned to them within `after_s` (KEFU_DESK_REASSIGN_AFTER) loses it:
it goes back to the queue, recorded in the conversation, and the next pass gives it to someone else (to the same agent
again only when nobody else has room).

Order: VIP customers first, then the queue's own order (priority, then age). Agent: among those online (a fresh
heartbeat saying online, not busy or away) holding fewer conversations than their capacity, the one holding fewest;
on a tie, the one whose last conversation came longest ago (round-robin). A hand-over routed to a team goes to that
team's members while any of them is there (online or busy), waiting for one of them to have room, and to anyone
when none is; a team with auto-assignment switched off leaves its hand-overs for agents to claim.

Each assignment is one conditional UPDATE, as a claim is: it takes the escalation only while it still waits and
while the agent still has room, so a manual claim, another console replica or a second pass cannot give it twice or
overfill an agent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from desk.db import Agent, Escalation, Message, Team
from desk.queue import presence_cutoff
from desk.store.escalations import EscalationRecords
from desk.store.records import _aware
from kefu.db import utcnow

NEVER = datetime(1970, 1, 1, tzinfo=UTC)


class AssignmentRecords(EscalationRecords):
    """Auto-assignment of waiting escalations to online agents by load and capacity."""

    def assign_waiting(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Give waiting escalations to online agents with room, VIP first; the escalations assigned."""
        now = now or utcnow()
        positions = self.positions(now)
        if not positions:
            return []
        cutoff = presence_cutoff(now, self.presence_ttl_s)
        with self.session() as s:
            agents = s.execute(select(Agent.id, Agent.display_name, Agent.capacity).where(
                Agent.active.is_(True), Agent.status == "online", Agent.last_seen_at > cutoff,
                Agent.capacity > 0)).tuples().all()
            if not agents:
                return []
            held = self._loads(s)
            latest = dict(s.execute(select(Escalation.agent_id, func.max(Escalation.claimed_at))
                                    .where(Escalation.agent_id.is_not(None)).group_by(Escalation.agent_id))
                          .tuples().all())
            waiting = s.execute(select(Escalation.id, Escalation.tier, Escalation.passed_over, Escalation.team_id)
                                .where(Escalation.status == "waiting")).tuples().all()
            present = set(s.scalars(select(Agent.id).where(
                Agent.active.is_(True), Agent.status.in_(("online", "busy")), Agent.last_seen_at > cutoff)).all())
            teams = {team.id: (bool(team.auto_assign), {a.id for a in team.members})
                     for team in s.scalars(select(Team)).all()}
        vip = {escalation_id for escalation_id, tier, _, _ in waiting if tier == "vip"}
        passed = {escalation_id: set(over or []) for escalation_id, _, over, _ in waiting}
        team_of = {escalation_id: team_id for escalation_id, _, _, team_id in waiting}
        load = {agent_id: held.get(agent_id, 0) for agent_id, _, _ in agents}
        last = {agent_id: _aware(when) if (when := latest.get(agent_id)) is not None else NEVER
                for agent_id, _, _ in agents}
        assigned: list[dict[str, Any]] = []
        for escalation_id in sorted(positions, key=lambda e: (e not in vip, positions[e])):
            room = [(agent_id, name, capacity) for agent_id, name, capacity in agents if load[agent_id] < capacity]
            if not room:
                break
            team = teams.get(team_of.get(escalation_id) or -1)
            if team is not None:
                auto, members = team
                if not auto:
                    continue  # this team claims by hand
                if members & present:  # the team is there: wait for one of them rather than give it to anyone
                    room = [a for a in room if a[0] in members]
                    if not room:
                        continue
            fresh = [a for a in room if a[0] not in passed.get(escalation_id, set())]
            room = fresh or room
            agent_id, name, capacity = min(room, key=lambda a: (load[a[0]], last[a[0]], a[0]))
            if not self._assign(escalation_id, agent_id, name, capacity, now):
                continue  # claimed meanwhile, or the agent filled up through another console: next one
            load[agent_id] += 1
            last[agent_id] = now
            assigned.append(self.get_escalation(escalation_id))
        return assigned

    def _assign(self, escalation_id: int, agent_id: int, name: str, capacity: int, now: datetime) -> bool:
        """Claim for the agent while the escalation waits and the agent holds fewer than `capacity`; recorded as an
        automatic assignment in the conversation."""
        held = (select(func.count(Escalation.id)).where(Escalation.agent_id == agent_id,
                                                          Escalation.status == "claimed").scalar_subquery())
        with self.session() as s:
            result = s.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id, Escalation.status == "waiting", held < capacity)
                .values(status="claimed", agent_id=agent_id, claimed_at=now, told_position=None, auto_assigned=True)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            s.add(Message(escalation_id=escalation_id, role="system", text=f"assigned to {name} automatically"))
            self._event(s, "escalation", escalation_id)
        return True

    def reclaim_unanswered(self, after_s: float, now: datetime | None = None) -> list[dict[str, Any]]:
        """Put back in the queue every automatically assigned escalation whose agent has not answered within
        `after_s` of getting it; the escalations put back."""
        now = now or utcnow()
        deadline = now - timedelta(seconds=after_s)
        answered = (select(Message.id).where(Message.escalation_id == Escalation.id, Message.role == "agent",
                                             Message.created_at >= Escalation.claimed_at).exists())
        with self.session() as s:
            late = s.execute(select(Escalation.id, Escalation.agent_id, Escalation.claimed_at, Escalation.passed_over,
                                    Agent.display_name)
                             .join(Agent, Agent.id == Escalation.agent_id)
                             .where(Escalation.status == "claimed", Escalation.auto_assigned.is_(True),
                                    Escalation.claimed_at < deadline, ~answered)).tuples().all()
        back: list[dict[str, Any]] = []
        minutes = f"{after_s / 60:g} min" if after_s >= 60 else f"{after_s:g} s"
        for escalation_id, agent_id, claimed_at, over, name in late:
            if agent_id is None:
                continue
            with self.session() as s:
                result = s.execute(
                    update(Escalation)
                    .where(Escalation.id == escalation_id, Escalation.status == "claimed",
                           Escalation.agent_id == agent_id, Escalation.claimed_at == claimed_at)
                    .values(status="waiting", agent_id=None, claimed_at=None, auto_assigned=False,
                            passed_over=sorted({*(over or []), agent_id}))
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue  # answered, resolved or transferred meanwhile
                s.add(Message(escalation_id=escalation_id, role="system",
                              text=f"{name} did not answer within {minutes}: back in the queue"))
                self._event(s, "escalation", escalation_id)
            back.append(self.get_escalation(escalation_id))
        return back
