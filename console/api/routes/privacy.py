"""Personal data in the desk: reveal a masked conversation or ticket (audit-logged), and the audit log itself."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from console.api.models import AuditEntryOut, EscalationRevealOut, TicketRevealOut, errors
from console.deps import AdminDep, RevealerDep, StoreDep

router = APIRouter(prefix="/api", tags=["privacy"], responses=errors(401, 403))


class RevealIn(BaseModel):
    """Why the personal data is needed (kept in the audit log)."""

    reason: str = Field(min_length=3, max_length=500)


@router.post("/escalations/{escalation_id}/reveal", response_model=EscalationRevealOut, responses=errors(404))
def reveal_escalation(escalation_id: int, body: RevealIn, user: RevealerDep, store: StoreDep) -> dict[str, Any]:
    """The customer's messages of a hand-over as written; the reveal is logged before they are returned."""
    return store.reveal_escalation(escalation_id, user["username"], body.reason.strip())


@router.post("/tickets/{ticket_id}/reveal", response_model=TicketRevealOut, responses=errors(404))
def reveal_ticket(ticket_id: int, body: RevealIn, user: RevealerDep, store: StoreDep) -> dict[str, Any]:
    """A ticket's message and contact as written; the reveal is logged before they are returned."""
    return store.reveal_ticket(ticket_id, user["username"], body.reason.strip())


@router.get("/audit", response_model=list[AuditEntryOut])
def read_audit(user: AdminDep, store: StoreDep, action: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The audit log of personal data, newest first (admins only)."""
    return store.audit_log(min(max(limit, 1), 5000), action)


@router.get("/audit.csv", response_class=Response,
            responses={200: {"description": "The audit log as CSV.", "content": {"text/csv": {}}}})
def export_audit(user: AdminDep, store: StoreDep, action: str | None = None) -> Response:
    """The audit log as CSV (admins only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "at", "actor", "action", "target", "conversation_id", "detail"])
    for a in store.audit_log(100_000, action):
        writer.writerow([a["id"], a["at"], a["actor"], a["action"], a["target"], a["conversation_id"] or "",
                         json.dumps(a["detail"], ensure_ascii=False)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="kefu-audit.csv"'})
