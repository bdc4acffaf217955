"""Service recovery on the desk: an agent grants compensation within their limit; above it the request goes to a
supervisor, who approves or declines it. The customer hears each step through the bot (EXTERNAL_compensation)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from console.api.models import CompensationOut, CompensationPolicyOut, errors
from console.api.routes.escalations import tell_bot
from console.deps import DECIDERS, AgentDep, DeciderDep, OrdersDep, RasaDep, SettingsDep, StoreDep
from desk.recovery import compensate, decide
from kefu.compensation import KINDS

router = APIRouter(prefix="/api", tags=["compensation"], responses=errors(401, 403))


class CompensationIn(BaseModel):
    """What the agent gives and why; `key` makes a double click or a retry grant once."""

    kind: str = Field(pattern="^(coupon|points|shipping_refund|partial_refund)$")
    amount: float = Field(gt=0, le=1_000_000)
    reason: str = Field(min_length=1, max_length=500)
    key: str = Field(min_length=8, max_length=100, pattern="^[A-Za-z0-9_.:-]+$")


class DecisionIn(BaseModel):
    """A supervisor's note with the decision (optional)."""

    note: str = Field("", max_length=500)


@router.get("/compensation/policy", response_model=CompensationPolicyOut)
def read_policy(agent: AgentDep, settings: SettingsDep) -> dict[str, Any]:
    """The kinds, every role's limit, the customer cap, and what the signed-in user may grant alone."""
    policy = settings.compensation_policy()
    return {"kinds": KINDS, "limits": policy.limits, "cap": {"yuan": policy.cap_yuan, "days": policy.cap_days},
            "points_per_yuan": policy.points_per_yuan, "my_limit": policy.limit(agent["role"]),
            "may_decide": agent["role"] in DECIDERS}


@router.get("/escalations/{escalation_id}/compensations", response_model=list[CompensationOut],
            responses=errors(404))
def read_compensations(escalation_id: int, agent: AgentDep, store: StoreDep) -> list[dict[str, Any]]:
    """What this hand-over's customer was given or asked for, newest first."""
    conversation_id, _ = store.escalation_customer(escalation_id)
    return store.compensations(conversation_id=conversation_id)


@router.post("/escalations/{escalation_id}/compensations", response_model=CompensationOut, status_code=201,
             responses=errors(404, 409))
async def grant(escalation_id: int, body: CompensationIn, agent: AgentDep, store: StoreDep, orders: OrdersDep,
                settings: SettingsDep, rasa: RasaDep, tasks: BackgroundTasks) -> Any:
    """Grant within your limit, or (an agent above it) ask a supervisor; the customer is told either way. An agent
    must hold the conversation; the same key again returns the first result (200) and tells nobody twice."""
    if agent["role"] not in DECIDERS:
        store.check_owned(escalation_id, agent["id"])
    conversation_id, customer = store.escalation_customer(escalation_id)
    compensation, new = await compensate(
        store, orders, settings.compensation_policy(), key=f"desk:{body.key}",
        conversation_id=conversation_id, kind=body.kind, amount=body.amount, reason=body.reason,
        actor=agent["username"], role=agent["role"], customer=customer, escalation_id=escalation_id)
    if new:
        tasks.add_task(tell_bot, rasa, conversation_id, "EXTERNAL_compensation",
                       {"compensation_id": compensation["id"]})
    return JSONResponse(compensation, status_code=201 if new else 200, background=tasks)


@router.get("/compensations", response_model=list[CompensationOut])
def read_requests(agent: AgentDep, store: StoreDep, status_: Annotated[str | None, Query(alias="status")] = None
                  ) -> list[dict[str, Any]]:
    """Compensations, newest first, optionally with one status (`pending`: what supervisors have to decide)."""
    return store.compensations(status=status_)


async def _decide(compensation_id: int, approve: bool, body: DecisionIn, user: dict[str, Any], orders: OrdersDep,
                  store: StoreDep, settings: SettingsDep, rasa: RasaDep, tasks: BackgroundTasks) -> dict[str, Any]:
    compensation = await decide(store, orders, settings.compensation_policy(), compensation_id,
                                approve=approve, actor=user["username"], role=user["role"], note=body.note)
    tasks.add_task(tell_bot, rasa, compensation["conversation_id"], "EXTERNAL_compensation",
                   {"compensation_id": compensation_id})
    return compensation


@router.post("/compensations/{compensation_id}/approve", response_model=CompensationOut, responses=errors(404, 409))
async def approve(compensation_id: int, body: DecisionIn, user: DeciderDep, store: StoreDep, orders: OrdersDep,
                  settings: SettingsDep, rasa: RasaDep, tasks: BackgroundTasks) -> dict[str, Any]:
    """Approve a pending request (within your own limit); the compensation is issued and the customer told."""
    return await _decide(compensation_id, True, body, user, orders, store, settings, rasa, tasks)


@router.post("/compensations/{compensation_id}/decline", response_model=CompensationOut, responses=errors(404, 409))
async def decline(compensation_id: int, body: DecisionIn, user: DeciderDep, store: StoreDep, orders: OrdersDep,
                  settings: SettingsDep, rasa: RasaDep, tasks: BackgroundTasks) -> dict[str, Any]:
    """Decline a pending request; the customer is told, gently."""
    return await _decide(compensation_id, False, body, user, orders, store, settings, rasa, tasks)
