"""Who is served first, where a customer stands, how long the wait is, and whether anyone is there to serve."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from desk import sla as sla_targets
from desk.errors import InvalidInputError
from kefu import hours

T = TypeVar("T")
ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
    # Hours per weekday (replacing service_hours/_days when set) and closed dates: kefu/hours.py's spellings.
    week_hours: str = ""
    holidays: str = ""
    # SLA targets per level, desk/sla.py's spelling (admins may override them in the desk).
    sla: str = sla_targets.DEFAULT_SPEC


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


def _parsed(parse: Callable[[str], T], spec: str) -> T:
    try:
        return parse(spec)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def in_service_hours(now: datetime, rules: QueueRules) -> bool:
    """True when `now` falls in the service hours (local to the configured time zone): the hours per weekday when
    set, else the service days and hours; never on a holiday (except a night shift begun the evening before)."""
    local = now.astimezone(ZoneInfo(rules.timezone))
    holidays = _parsed(hours.parse_holidays, rules.holidays)
    today, clock = local.date(), local.time()
    if rules.week_hours:
        week = _parsed(hours.parse_week, rules.week_hours)
        yesterday = today - timedelta(days=1)
        if today not in holidays and any(
                hours.within(clock, span) and (span[1] is None or span[0] <= span[1] or clock >= span[0])
                for span in week.get(local.isoweekday(), [])):
            return True
        # The part after midnight of a span that crosses it belongs to the day it began.
        return yesterday not in holidays and any(
            end is not None and end < start and clock < end for start, end in week.get(yesterday.isoweekday(), []))
    if today in holidays or local.isoweekday() not in parse_days(rules.service_days):
        return False
    return hours.within(clock, _parsed(hours.parse_hours, rules.service_hours))


def hours_text(rules: QueueRules, language: str, now: datetime) -> str:
    """The service hours as a customer reads them ("周一至周五 09:00-21:00，周六 10:00-18:00（Asia/Shanghai）"),
    saying when today is a holiday."""
    zh = language == "zh"
    if rules.week_hours:
        week = _parsed(hours.parse_week, rules.week_hours)
        names = ZH_DAYS if zh else EN_DAYS
        groups: list[tuple[int, int, str]] = []
        for day in range(1, 8):
            spans = week.get(day) or []
            if not spans:
                continue
            text = ",".join(f"{a.strftime('%H:%M')}-{b.strftime('%H:%M') if b else '24:00'}" for a, b in spans)
            if groups and groups[-1][1] == day - 1 and groups[-1][2] == text:
                groups[-1] = (groups[-1][0], day, text)
            else:
                groups.append((day, day, text))
        joiner = "至" if zh else "–"
        parts = [f"{names[a - 1]}{joiner + names[b - 1] if b != a else ''} {text}" for a, b, text in groups]
        shown = ("，" if zh else ", ").join(parts) or ("暂停服务" if zh else "closed")
    else:
        shown = rules.service_hours
    shown += f" ({rules.timezone})"
    if now.astimezone(ZoneInfo(rules.timezone)).date() in _parsed(hours.parse_holidays, rules.holidays):
        shown += "，今天是节假日休息" if zh else "; closed today for a holiday"
    return shown


def presence_cutoff(now: datetime, ttl_s: float) -> datetime:
    """Agents seen after this moment count as online."""
    return now - timedelta(seconds=ttl_s)
