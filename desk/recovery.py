"""Service recovery as the bot and the desk run it: a compensation decided by the policy and the store, then issued
by the order system (a demo code in local mode) once it is granted or approved."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from desk.store import DeskStore
from kefu.compensation import Policy
from kefu.orders import OrderClient, OrderServiceError

logger = logging.getLogger(__name__)


async def _issued(store: DeskStore, orders: OrderClient, compensation: dict[str, Any],
                  customer: str) -> dict[str, Any]:
    """The compensation with its code, issued now if it is granted or approved and has none (a retry issues what an
    earlier failure did not); without one when the order system is down (logged)."""
    if compensation["status"] not in ("granted", "approved") or compensation["code"]:
        return compensation
    try:
        code = await orders.issue(compensation["key"], compensation["kind"], compensation["amount"], customer)
    except OrderServiceError as exc:
        logger.error("compensation %s not issued yet: %s", compensation["id"], exc)
        return compensation
    return await asyncio.to_thread(store.set_compensation_code, compensation["id"], code)


async def compensate(store: DeskStore, orders: OrderClient, policy: Policy, **request: Any) -> tuple[dict[str, Any],
                                                                                                    bool]:
    """Grant or request a compensation (DeskStore.compensate's arguments) and issue it when granted; (it, new)."""
    compensation, new = await asyncio.to_thread(lambda: store.compensate(policy, **request))
    customer = request.get("customer") or request["conversation_id"]
    return await _issued(store, orders, compensation, customer), new


async def decide(store: DeskStore, orders: OrderClient, policy: Policy, compensation_id: int, *, approve: bool,
                 actor: str, role: str, note: str = "") -> dict[str, Any]:
    """A supervisor's decision on a pending compensation, issued when approved."""
    compensation = await asyncio.to_thread(lambda: store.decide(policy, compensation_id, approve=approve,
                                                                actor=actor, role=role, note=note))
    return await _issued(store, orders, compensation, compensation["conversation_id"])
