"""Teams: admins keep them (name, the categories they cover, members, auto-assignment on or off); agents move a
hand-over to another team."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from desk.db import ACTIVE, Agent, Escalation, Message, Team, TeamMember
from desk.errors import ConflictError, InvalidInputError, NotFoundError
from desk.store.escalations import EscalationRecords
from desk.store.records import _clean

MAX_NAME = 64
MAX_CATEGORIES = 30
# A category: a knowledge-base category or an intent (letters, digits, _ and -).
CATEGORY = re.compile(r"^[\w-]{1,64}$")


def team_dict(team: Team, open_count: int = 0) -> dict[str, Any]:
    """A team as the API shows it."""
    return {"id": team.id, "name": team.name, "categories": list(team.categories or []),
            "auto_assign": bool(team.auto_assign),
            "members": [{"id": a.id, "display_name": a.display_name} for a in team.members], "open": open_count}


def _checked(name: str, categories: list[str]) -> tuple[str, list[str]]:
    name = " ".join(_clean(name, "team name").split())
    if len(name) > MAX_NAME:
        raise InvalidInputError(f"the team name has {len(name)} characters; the limit is {MAX_NAME}")
    cleaned = list(dict.fromkeys(c.strip() for c in categories if c.strip()))
    bad = [c for c in cleaned if not CATEGORY.match(c)]
    if bad:
        raise InvalidInputError(f"categories are knowledge-base categories or intents (letters, digits, _ or -), "
                                f"not {', '.join(map(repr, bad))}")
    if len(cleaned) > MAX_CATEGORIES:
        raise InvalidInputError(f"{len(cleaned)} categories; a team takes at most {MAX_CATEGORIES}")
    return name, cleaned


class TeamRecords(EscalationRecords):
    """Teams: admins keep them (name, the categories they cover, members, auto-assignment on or off); agents move a
    hand-over to another team."""

    def teams(self) -> list[dict[str, Any]]:
        """Every team by name, with how many waiting or claimed hand-overs it has now."""
        with self.session() as s:
            counts = dict(s.execute(select(Escalation.team_id, func.count()).where(
                Escalation.status.in_(ACTIVE), Escalation.team_id.is_not(None)).group_by(Escalation.team_id))
                .tuples().all())
            return [team_dict(t, int(counts.get(t.id, 0)))
                    for t in s.scalars(select(Team).order_by(func.lower(Team.name))).all()]

    def _members(self, s: Session, team_id: int, member_ids: list[int]) -> None:
        wanted = list(dict.fromkeys(member_ids))
        desk_roles = ("agent", "supervisor", "admin")
        known = set(s.scalars(select(Agent.id).where(Agent.id.in_(wanted), Agent.role.in_(desk_roles))).all()
                    ) if wanted else set()
        missing = [i for i in wanted if i not in known]
        if missing:
            raise InvalidInputError(f"no agent {', '.join(map(str, missing))}")
        s.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
        s.add_all(TeamMember(team_id=team_id, agent_id=i) for i in wanted)

    def create_team(self, name: str, categories: list[str], auto_assign: bool = True,
                    member_ids: list[int] | None = None) -> dict[str, Any]:
        """Add a team (ConflictError for a name taken in any case, InvalidInputError for bad categories)."""
        name, categories = _checked(name, categories)
        with self.session() as s:
            self._name_free(s, Team, name, "team")
            team = Team(name=name, categories=categories, auto_assign=auto_assign)
            s.add(team)
            s.flush()
            self._members(s, team.id, member_ids or [])
            self._event(s, "team", team.id)
            team_id = team.id
        return self.team(team_id)

    def team(self, team_id: int) -> dict[str, Any]:
        """One team (NotFoundError if none has this id)."""
        found = next((t for t in self.teams() if t["id"] == team_id), None)
        if found is None:
            raise NotFoundError(f"no team {team_id}")
        return found

    def update_team(self, team_id: int, name: str, categories: list[str], auto_assign: bool,
                    member_ids: list[int]) -> dict[str, Any]:
        """Change a team; hand-overs already routed keep it, new ones follow the new categories."""
        name, categories = _checked(name, categories)
        with self.session() as s:
            team = self._get(s, Team, team_id, "team")
            self._name_free(s, Team, name, "team", other_than=team_id)
            team.name, team.categories, team.auto_assign = name, categories, auto_assign
            self._members(s, team_id, member_ids)
            self._event(s, "team", team_id)
        return self.team(team_id)

    def delete_team(self, team_id: int) -> None:
        """Remove a team; its hand-overs go to anyone."""
        with self.session() as s:
            team = self._get(s, Team, team_id, "team")
            for escalation_id in s.scalars(select(Escalation.id).where(Escalation.team_id == team_id,
                                                                        Escalation.status.in_(ACTIVE))).all():
                self._event(s, "escalation", escalation_id)
            s.execute(update(Escalation).where(Escalation.team_id == team_id).values(team_id=None))
            s.delete(team)
            self._event(s, "team", team_id)

    def move_to_team(self, escalation_id: int, agent_id: int, team_id: int | None) -> dict[str, Any]:
        """Give a waiting or claimed hand-over to another team (None: anyone), recorded in the conversation."""
        with self.session() as s:
            e = self._load(s, escalation_id)
            if e.status not in ACTIVE:
                raise ConflictError(f"escalation {escalation_id} is {e.status}")
            team = s.get(Team, team_id) if team_id is not None else None
            if team_id is not None and team is None:
                raise InvalidInputError(f"no team {team_id}")
            who = s.get(Agent, agent_id)
            e.team_id = team_id
            where = team.name if team else "anyone"
            s.add(Message(escalation_id=escalation_id, role="system",
                          text=f"moved to {where} by {who.display_name if who else 'an agent'}"))
            self._event(s, "escalation", escalation_id)
        return self.get_escalation(escalation_id)
