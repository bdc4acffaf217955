"""Reads of Rasa's SQL tracker store (its `events` table) for the app: the one place that knows the table's shape
and turns the database's failures into TrackerUnavailableError.

Rasa owns the table and writes it (bot/tracker_store.py, on Rasa's own SQLAlchemy); the app only reads it, and
only through this module, so a PostgreSQL restart reaches the console as "Rasa's conversation store is
unavailable" (503) rather than an OperationalError's traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    inspect,
    or_,
    select,
)

from kefu.db import make_engine, unavailable_as

WHAT = "Rasa's conversation store"
CHUNK = 500  # senders per IN (...) list, below SQLite's variable limit

# Rasa's SQL tracker store table, declared rather than reflected (no round trip); only ever read.
EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("type_name", String(255)),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class TrackerUnavailableError(Exception):
    """Rasa's tracker store cannot be read now (down, restarting, locked); the reader may retry later."""


class EventRow(NamedTuple):
    """One stored Rasa event, with its JSON left encoded (the caller decodes only what it needs)."""

    sender_id: str
    type_name: str
    timestamp: float
    action_name: str | None
    data: str | None


class TrackerEvents:
    """Read-only access to Rasa's events table; one per process, safe to share between threads."""

    def __init__(self, url: str) -> None:
        with unavailable_as(TrackerUnavailableError, WHAT):
            self._engine = make_engine(url)

    def in_window(self, low: float, high: float, types: Sequence[str],
                  actions: Sequence[str]) -> Iterator[EventRow]:
        """Events with low <= timestamp < high whose type is one of `types` or whose action is one of `actions`,
        in the order Rasa stored them; nothing when Rasa has not created its table yet.

        The rows stream from one connection (only the window's rows reach Python, one at a time); a failure
        while they stream raises TrackerUnavailableError too. Cost: timestamp is not indexed by Rasa, so the
        database scans the table.
        """
        c = EVENTS.c
        query = (select(c.sender_id, c.type_name, c.timestamp, c.action_name, c.data)
                 .where(c.timestamp >= low, c.timestamp < high,
                        or_(c.type_name.in_(tuple(types)), c.action_name.in_(tuple(actions))))
                 .order_by(c.id))
        with unavailable_as(TrackerUnavailableError, WHAT), self._engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return
            for row in connection.execute(query):
                yield EventRow(*row)

    def activity(self, senders: Sequence[str]) -> dict[str, tuple[int, float | None, float | None]]:
        """Per sender: how many sessions Rasa started, and their first and last customer message (unix time);
        one indexed look-up per 500 senders."""
        c = EVENTS.c
        found: dict[str, tuple[int, float | None, float | None]] = {}
        with unavailable_as(TrackerUnavailableError, WHAT), self._engine.connect() as connection:
            if not senders or not inspect(connection).has_table("events"):
                return found
            for i in range(0, len(senders), CHUNK):
                rows = connection.execute(
                    select(c.sender_id,
                           func.sum(case((c.type_name == "session_started", 1), else_=0)),
                           func.min(case((c.type_name == "user", c.timestamp))),
                           func.max(case((c.type_name == "user", c.timestamp))))
                    .where(c.sender_id.in_(list(senders[i:i + CHUNK])),
                           c.type_name.in_(("session_started", "user")))
                    .group_by(c.sender_id))
                for sender, sessions, first, last in rows:
                    found[str(sender)] = (int(sessions or 0), first, last)
        return found

    def history(self, senders: str | Sequence[str], since: float, before: float | None = None, limit: int = 2000,
                types: Sequence[str] = ("user", "bot", "slot", "action")) -> list[dict[str, Any]]:
        """The stored events of these types of one conversation, or of several (one customer's on every channel),
        from `since`, in the order Rasa stored them, at most the newest `limit`, decoded; every session, which
        Rasa's own retrieval does not give an action. `before` bounds only the first conversation (where its current
        session began). One indexed look-up by sender."""
        c = EVENTS.c
        ids = [senders] if isinstance(senders, str) else list(dict.fromkeys(senders))[:CHUNK]
        if not ids:
            return []
        first = c.sender_id == ids[0]
        if before is not None:
            first = and_(first, c.timestamp < before)
        mine = or_(first, c.sender_id.in_(ids[1:])) if len(ids) > 1 else first
        query = (select(c.data).where(mine, c.timestamp >= since, c.type_name.in_(tuple(types)))
                 .order_by(c.id.desc()).limit(limit))
        with unavailable_as(TrackerUnavailableError, WHAT), self._engine.connect() as connection:
            if not inspect(connection).has_table("events"):
                return []
            rows = [str(raw or "") for raw in connection.scalars(query)]
        out: list[dict[str, Any]] = []
        for raw in reversed(rows):
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if isinstance(event, dict):
                out.append(event)
        return out

    def slots_before(self, senders: Sequence[str], before: float, name: str) -> Iterator[tuple[str, str]]:
        """(sender, event JSON) of the slot events before `before` that may set slot `name`, per sender in id
        order; one indexed look-up per 500 senders. The JSON decides: the LIKE is only a cheap pre-filter."""
        c = EVENTS.c
        with unavailable_as(TrackerUnavailableError, WHAT), self._engine.connect() as connection:
            if not senders or not inspect(connection).has_table("events"):
                return
            for i in range(0, len(senders), CHUNK):
                rows = connection.execute(
                    select(c.sender_id, c.data)
                    .where(c.sender_id.in_(list(senders[i:i + CHUNK])), c.type_name == "slot",
                           c.timestamp < before, c.data.like(f'%"{name}"%'))
                    .order_by(c.id))
                for sender, raw in rows:
                    yield str(sender), str(raw or "")
