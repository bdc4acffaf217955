"""Who is served first, where a customer stands, how long the wait is, and whether anyone is there to serve."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from desk.errors import InvalidInputError
from kefu import hours


@dataclass(frozen=True)
class QueueRules:
    """The weights of the priority and the service hours, from settings."""

    vip_boost: float = 30.0
    request_boost: float = 10.0
    # Points per minute waited, so nobody waits forever behind newer, angrier customers.
    wait_weight: float = 2.0
    default_handle_s: float = 300.0
    service_hours: str = "00:00-24:00"
    service_days: str = "1-7"
    timezone: str = "Asia/Shanghai"


def priority(frustration: float, tier: str, trigger: str, created_at: datetime, now: datetime,
             rules: QueueRules) -> float:
    """Urgency of a waiting customer: frustration (0–100), VIP and explicit-request boosts, and time waited."""
    waited_min = max(0.0, (now - created_at).total_seconds() / 60)
    score = 100.0 * frustration + rules.wait_weight * waited_min
    if tier == "vip":
        score += rules.vip_boost
    if trigger == "request":
        score += rules.request_boost
    return round(score, 1)


def eta_minutes(position: int, agents_online: int, avg_handle_s: float) -> int:
    """Estimated minutes until an agent picks up the customer at this position (at least 1)."""
    agents = max(1, agents_online)
    return max(1, math.ceil(position * avg_handle_s / agents / 60))


def parse_days(spec: str) -> set[int]:
    """ISO weekdays (1 = Monday) from "1-5", "1-5,7" or "1,3,5"."""
    try:
        return hours.parse_days(spec)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def in_service_hours(now: datetime, rules: QueueRules) -> bool:
    """True when `now` falls in the configured service days and hours (local to the configured time zone)."""
    local = now.astimezone(ZoneInfo(rules.timezone))
    if local.isoweekday() not in parse_days(rules.service_days):
        return False
    try:
        start, end = hours.parse_hours(rules.service_hours)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    clock = local.time()
    if end is None:
        return clock >= start
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end  # a night shift across midnight


def presence_cutoff(now: datetime, ttl_s: float) -> datetime:
    """Agents seen after this moment count as online."""
    return now - timedelta(seconds=ttl_s)
