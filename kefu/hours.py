"""Service hours, days and time zone as settings spell them; parsed when Settings loads and again by the queue."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _clock(value: str) -> time | None:
    hours, sep, minutes = value.strip().partition(":")
    if not hours.isdigit() or (sep and not minutes.isdigit()):
        raise ValueError(value)
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return None  # end of day
    return time(h, m)  # ValueError past 23:59


def parse_hours(spec: str) -> tuple[time, time | None]:
    """Start and end of "09:00-21:00" (end None: midnight, written 24:00); ValueError when it is not that shape."""
    try:
        start_s, end_s = spec.split("-")
        start, end = _clock(start_s), _clock(end_s)
    except ValueError:
        raise ValueError(f"service hours must look like '09:00-21:00', not {spec!r}") from None
    return start or time(0, 0), end


def parse_days(spec: str) -> set[int]:
    """ISO weekdays (1 = Monday) from "1-5", "1-5,7" or "1,3,5"; ValueError when malformed or out of range."""
    days: set[int] = set()
    try:
        for part in spec.split(","):
            first, _, last = part.strip().partition("-")
            days.update(range(int(first), int(last or first) + 1))
    except ValueError:
        raise ValueError(f"service days must look like '1-5' or '1,3,5', not {spec!r}") from None
    if not days or not days <= set(range(1, 8)):
        raise ValueError(f"service days must be between 1 (Monday) and 7 (Sunday): {spec!r}")
    return days


def check_timezone(name: str) -> str:
    """The IANA time-zone name, or ValueError if this machine does not know it (a typo such as Asia/Shangai)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from None
    return name
