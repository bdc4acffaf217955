"""Service hours, days, hours per weekday, holidays and time zone as settings spell them; parsed when Settings loads
and again by the queue."""

from __future__ import annotations

from datetime import date, time, timedelta
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


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday(name: str) -> int:
    key = name.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(name)
    return WEEKDAYS.index(key) + 1


def parse_week(spec: str) -> dict[int, list[tuple[time, time | None]]]:
    """Hours per ISO weekday from "mon-fri 09:00-21:00; sat 10:00-12:00,13:00-18:00" (days not named are closed;
    "sun closed" may say so); ValueError when malformed. An empty spec gives {} (the simple hours apply)."""
    week: dict[int, list[tuple[time, time | None]]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days_s, _, spans_s = part.partition(" ")
        try:
            first, _, last = days_s.partition("-")
            a, b = _weekday(first), _weekday(last or first)
        except ValueError:
            raise ValueError(f"business hours must look like 'mon-fri 09:00-21:00; sat 10:00-18:00', not {part!r}"
                             ) from None
        days = list(range(a, b + 1)) if a <= b else [*range(a, 8), *range(1, b + 1)]
        spans_s = spans_s.strip()
        spans = [] if spans_s.lower() == "closed" else [parse_hours(s) for s in spans_s.split(",") if s.strip()]
        if not spans and spans_s.lower() != "closed":
            raise ValueError(f"no hours for {days_s!r} in {spec!r} (write 'closed' for a day off)")
        for day in days:
            week.setdefault(day, []).extend(spans)
    return week


def parse_holidays(spec: str) -> set[date]:
    """Closed dates from "2026-10-01..2026-10-07, 2027-01-01" (local dates in the service's time zone)."""
    found: set[date] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        first, _, last = part.partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        except ValueError:
            raise ValueError(f"holidays must look like '2026-10-01..2026-10-07, 2027-01-01', not {part!r}") from None
        if end < start or (end - start).days > 366:
            raise ValueError(f"the holiday range {part!r} runs backwards or is longer than a year")
        found.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return found


def within(clock: time, span: tuple[time, time | None]) -> bool:
    """Whether a local clock time falls in a span (end None: until midnight; end before start: across midnight)."""
    start, end = span
    if end is None:
        return clock >= start
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end
