"""Teams: admins keep them (categories, members, auto-assignment); agents move a hand-over to another team."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from console.api.models import EscalationOut, TeamOut, errors
from console.deps import AdminDep, AgentDep, LoginDep, StoreDep
from desk.store.teams import MAX_CATEGORIES, MAX_NAME

router = APIRouter(prefix="/api", tags=["teams"], responses=errors(401, 403))


class TeamIn(BaseModel):
    """A team as an admin writes it."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    categories: list[str] = Field(default_factory=list, max_length=MAX_CATEGORIES,
                                  description="Knowledge-base categories or intents whose hand-overs it takes.")
    auto_assign: bool = True
    member_ids: list[int] = Field(default_factory=list, max_length=200)


class MoveIn(BaseModel):
    """The team to give the hand-over to (null: anyone)."""

    team_id: int | None


@router.get("/teams", response_model=list[TeamOut])
def read_teams(login: LoginDep, store: StoreDep) -> list[dict[str, Any]]:
    """Every team, by name."""
    return store.teams()


@router.post("/teams", response_model=TeamOut, status_code=201, responses=errors(409))
def create_team(body: TeamIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Add a team (admins only); 409 when one has this name in any case, 422 for a bad category or member."""
    return store.create_team(body.name, body.categories, body.auto_assign, body.member_ids)


@router.put("/teams/{team_id}", response_model=TeamOut, responses=errors(404, 409))
def update_team(team_id: int, body: TeamIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Change a team (admins only); new hand-overs follow its new categories at once."""
    return store.update_team(team_id, body.name, body.categories, body.auto_assign, body.member_ids)


@router.delete("/teams/{team_id}", status_code=204, responses=errors(404))
def delete_team(team_id: int, admin: AdminDep, store: StoreDep) -> Response:
    """Remove a team (admins only); its hand-overs go to anyone."""
    store.delete_team(team_id)
    return Response(status_code=204)


@router.put("/escalations/{escalation_id}/team", response_model=EscalationOut, responses=errors(404, 409))
def move_escalation(escalation_id: int, body: MoveIn, agent: AgentDep, store: StoreDep) -> dict[str, Any]:
    """Give a waiting or claimed hand-over to another team, or to anyone (recorded in the conversation)."""
    return store.move_to_team(escalation_id, agent["id"], body.team_id)
