"""Agents, presence, canned replies, SLA targets and offline tickets."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from console.api.models import AgentOut, CannedReplyOut, PresenceOut, SlaSettingsOut, TicketOut, errors
from console.deps import AdminDep, AgentDep, LoginDep, StoreDep
from desk.store.agents import MAX_CAPACITY
from kefu.sla import MAX_TARGET_S

router = APIRouter(prefix="/api", tags=["desk"], responses=errors(401, 403))


class PresenceIn(BaseModel):
    """The agent's availability: online takes new conversations, busy keeps serving the ones held, away is gone."""

    status: Literal["online", "busy", "away"]


class CapacityIn(BaseModel):
    """The most conversations auto-assignment gives the agent at once (0: none)."""

    capacity: int = Field(ge=0, le=MAX_CAPACITY)


@router.get("/agents", response_model=list[AgentOut])
def read_agents(agent: AgentDep, store: StoreDep) -> list[dict[str, Any]]:
    """Every active user and whether they are online (for transfers)."""
    return store.agents()


@router.put("/agents/{agent_id}/capacity", response_model=AgentOut, responses=errors(404))
def update_capacity(agent_id: int, body: CapacityIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Set how many conversations auto-assignment may give an agent at once (admins only)."""
    return store.set_capacity(agent_id, body.capacity)


@router.post("/presence", response_model=PresenceOut)
def update_presence(body: PresenceIn, agent: AgentDep, store: StoreDep) -> dict[str, str]:
    """The desk's heartbeat: online agents take hand-overs; with none online, customers may leave a message."""
    store.set_presence(agent["id"], body.status)
    return {"status": body.status}


class SlaTargetsIn(BaseModel):
    """Seconds allowed for the first response, each next response and the resolution of one level."""

    first_response_s: int = Field(gt=0, le=MAX_TARGET_S)
    next_response_s: int = Field(gt=0, le=MAX_TARGET_S)
    resolution_s: int = Field(gt=0, le=MAX_TARGET_S)


class CannedIn(BaseModel):
    """A canned reply as an admin writes it: the text may use {customer_name}, {order_id} and {agent_name}."""

    language: Literal["zh", "en"]
    title: str = Field(min_length=1, max_length=128)
    shortcut: str | None = Field(None, max_length=33, description="Typed after / in the reply box.")
    text: str = Field(min_length=1, max_length=4000)


@router.get("/canned", response_model=list[CannedReplyOut], response_model_exclude_unset=True,
            responses=errors(404))
def read_canned(agent: AgentDep, store: StoreDep, language: str | None = None,
                escalation_id: int | None = None) -> list[dict[str, Any]]:
    """Canned replies, in one language or all; with `escalation_id`, each also `filled` for that conversation."""
    if escalation_id is not None:
        return store.canned_for(escalation_id, agent["display_name"], language)
    return store.canned(language)


@router.post("/canned", response_model=CannedReplyOut, status_code=201, response_model_exclude_unset=True,
             responses=errors(409))
def create_canned(body: CannedIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Add a canned reply (admins only); 422 names an unknown variable, 409 a shortcut already taken."""
    return store.create_canned(body.language, body.title, body.text, body.shortcut)


@router.put("/canned/{canned_id}", response_model=CannedReplyOut, response_model_exclude_unset=True,
            responses=errors(404, 409))
def update_canned(canned_id: int, body: CannedIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Change a canned reply (admins only); every open desk reloads its list."""
    return store.update_canned(canned_id, body.language, body.title, body.text, body.shortcut)


@router.delete("/canned/{canned_id}", status_code=204, responses=errors(404))
def delete_canned(canned_id: int, admin: AdminDep, store: StoreDep) -> Response:
    """Remove a canned reply (admins only)."""
    store.delete_canned(canned_id)
    return Response(status_code=204)


class SlaIn(BaseModel):
    """New SLA targets for some levels (seconds; each at most a week)."""

    levels: dict[Literal["urgent", "high", "normal"], SlaTargetsIn] = Field(min_length=1)


@router.get("/sla", response_model=SlaSettingsOut)
def read_sla(login: LoginDep, store: StoreDep) -> dict[str, Any]:
    """The SLA targets per level: urgent (VIP), high (frustrated), normal."""
    return store.sla_settings()


@router.put("/sla", response_model=SlaSettingsOut)
def update_sla(body: SlaIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Set the SLA targets of the levels given (admins only); every desk's clocks follow."""
    return store.set_sla_targets({level: targets.model_dump() for level, targets in body.levels.items()})


@router.get("/tickets", response_model=list[TicketOut])
def read_tickets(agent: AgentDep, store: StoreDep, status: str | None = None) -> list[dict[str, Any]]:
    """Messages left while no agent was available, open ones first."""
    return store.tickets(status)


@router.post("/tickets/{ticket_id}/close", response_model=TicketOut, responses=errors(404))
def close_ticket(ticket_id: int, agent: AgentDep, store: StoreDep) -> dict[str, Any]:
    """Mark a ticket handled."""
    return store.close_ticket(ticket_id, agent["id"])
