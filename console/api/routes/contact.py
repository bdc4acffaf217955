"""The contact profile beside a conversation: who the customer is and what happened before, across channels."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request

from console.api.models import ContactOut, errors
from console.deps import AgentDep, SettingsDep, StoreDep, get_tracker_events
from kefu.orders import OrderClient, OrderServiceError, order_client
from kefu.tracker_events import TrackerUnavailableError

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["escalations"], responses=errors(401, 403))


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def _orders(request: Request, settings: Any) -> OrderClient:
    client: OrderClient | None = getattr(request.app.state, "orders", None)
    if client is None:
        client = request.app.state.orders = order_client(settings)
    return client


async def _order(client: OrderClient, number: str, language: str) -> dict[str, Any]:
    try:
        order = await client.get(number)
    except OrderServiceError as exc:
        logger.warning("order %s not looked up for the contact profile: %s", number, exc)
        order = None
    if order is None:
        return {"number": number, "status": "unknown"}
    return {"number": order.number, "status": order.status, "carrier": order.carrier_name(language),
            "tracking_number": order.tracking_number, "eta": order.eta, "delivered_at": order.delivered_at}


@router.get("/escalations/{escalation_id}/contact", response_model=ContactOut, responses=errors(404))
async def read_contact(escalation_id: int, request: Request, agent: AgentDep, store: StoreDep,
                       settings: SettingsDep) -> dict[str, Any]:
    """The customer's identities, tier, language, conversations with the bot, earlier hand-overs, ratings, open
    tickets, and the orders they mentioned with their status now."""
    profile = await asyncio.to_thread(store.contact, escalation_id)
    conversations = [i["conversation_id"] for i in profile["identities"]]
    try:
        seen = await asyncio.to_thread(get_tracker_events(request).activity, conversations)
        sessions = sum(v[0] for v in seen.values())
        firsts = [v[1] for v in seen.values() if v[1] is not None]
        lasts = [v[2] for v in seen.values() if v[2] is not None]
        profile["activity"] = {"sessions": sessions, "first_seen": _iso(min(firsts) if firsts else None),
                               "last_seen": _iso(max(lasts) if lasts else None)}
    except TrackerUnavailableError as exc:  # the rest of the profile is still worth showing
        logger.warning("no conversation history for the contact profile: %s", exc)
        profile["activity"] = None
    client = _orders(request, settings)
    profile["orders"] = list(await asyncio.gather(*(_order(client, n, profile["language"])
                                                    for n in profile.pop("order_numbers"))))
    return profile
