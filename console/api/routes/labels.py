"""Labels: the list (admins keep it), and the labels on one conversation (any agent sets them)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from console.api.models import EscalationOut, LabelOut, LabelRefOut, errors
from console.deps import AdminDep, AgentDep, LoginDep, StoreDep
from desk.store.labels import MAX_LABELS, MAX_NAME

router = APIRouter(prefix="/api", tags=["labels"], responses=errors(401, 403))
Color = Literal["grey", "red", "orange", "yellow", "green", "blue", "purple", "pink"]


class LabelIn(BaseModel):
    """A label as an admin writes it."""

    name: str = Field(min_length=1, max_length=MAX_NAME)
    color: Color = "grey"


class LabelsIn(BaseModel):
    """The labels a conversation should carry (replacing the ones it has)."""

    label_ids: list[int] = Field(max_length=MAX_LABELS)


@router.get("/labels", response_model=list[LabelOut])
def read_labels(login: LoginDep, store: StoreDep) -> list[dict[str, Any]]:
    """Every label, by name (agents label conversations, ops staff filter the dashboard by them)."""
    return store.labels()


@router.post("/labels", response_model=LabelOut, status_code=201, responses=errors(409))
def create_label(body: LabelIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Add a label (admins only); 409 when one has this name in any case."""
    return store.create_label(body.name, body.color)


@router.put("/labels/{label_id}", response_model=LabelRefOut, responses=errors(404, 409))
def update_label(label_id: int, body: LabelIn, admin: AdminDep, store: StoreDep) -> dict[str, Any]:
    """Rename or recolour a label (admins only); every desk shows the change live."""
    return store.update_label(label_id, body.name, body.color)


@router.delete("/labels/{label_id}", status_code=204, responses=errors(404))
def delete_label(label_id: int, admin: AdminDep, store: StoreDep) -> Response:
    """Remove a label from the list and from every conversation (admins only)."""
    store.delete_label(label_id)
    return Response(status_code=204)


@router.put("/escalations/{escalation_id}/labels", response_model=EscalationOut, responses=errors(404))
def update_escalation_labels(escalation_id: int, body: LabelsIn, agent: AgentDep, store: StoreDep) -> dict[str, Any]:
    """Set a conversation's labels (any agent, before or after it ends); 422 names a label that does not exist."""
    return store.set_labels(escalation_id, agent["id"], body.label_ids)
