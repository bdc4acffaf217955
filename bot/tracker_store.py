"""Rasa's SQL tracker store, keeping each conversation's tracker in memory between its messages.

Rasa's SQLTrackerStore rebuilds the whole tracker from the database for every message: it loads every event since
the session started, parses each one's JSON, finds its class and replays it (a fifth of Rasa's CPU under load,
more as a conversation grows), and before saving it counts the stored events with a second query to know which
are new. Here, once a message is handled and saved, its tracker stays in memory; the next message of that
conversation takes it after one cheap check that nobody else has written to the conversation since (the newest
event id), and saving writes the new events without counting the old ones.

The database stays the truth, so nothing lives only in this process: a conversation that another process (a
replica, the API's event injection) has written to, or a tracker that was changed after it was saved, is read
from the database again, as Rasa does; a kept tracker starts at its latest session start, as one read back
does.

The database is never waited on in Rasa's event loop: every query and commit runs in a small thread pool, so
while SQLite waits for the disk at a commit (a few ms each, the largest part of its cost) or PostgreSQL answers,
other customers' messages move on. SQLite connections are pooled (SQLAlchemy 1.4 opens a new one, and reads the
schema again, for every session of a file database), in WAL mode with a busy timeout, and synchronous commits as
before: a reply is sent only after its events are on disk. Configure it in endpoints.yml:

    tracker_store:
      type: bot.tracker_store.CachedSQLTrackerStore
      url: ${KEFU_DATABASE_URL}
      cache_size: 5000
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)
DEFAULT_CACHE_SIZE = 5000
# Threads for the database: a few, since SQLite takes one writer at a time and each message needs two sessions.
DB_THREADS = 4
T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers (the console, the action server) go on while Rasa writes; wait for a writer, do not fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def pooled_sqlite_engine(url: Any) -> Any:
    """An engine for a SQLite file that keeps its connections (usable from the store's threads) between sessions."""
    engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=DB_THREADS, max_overflow=DB_THREADS,
                              connect_args={"check_same_thread": False})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


@dataclass
class Kept:
    """A saved tracker: how many of its events are stored, and the id of the conversation's newest stored event."""

    tracker: DialogueStateTracker
    stored: int
    last_id: Optional[int]


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that hands a conversation's saved tracker to its next message instead of rebuilding it."""

    def __init__(self, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        engine: Any = self.engine  # type: ignore[has-type]  # set, untyped, by SQLTrackerStore.__init__
        self._db = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="kefu-tracker-store")
        self._writes = self._db
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            url = engine.url
            engine.dispose()
            self.engine = pooled_sqlite_engine(url)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
            # SQLite takes one writer at a time, and a writer that finds the file locked sleeps and retries (1, 2,
            # 5, 10… ms): this process's writes queue in one thread instead, each starting the moment the last ends.
            self._writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-tracker-store-writes")
        elif engine.dialect.name != "sqlite":
            # A server database that restarted leaves the pool's connections dead: test each before use, so the
            # first messages after a restart are handled instead of failing once per pooled connection.
            from rasa.core.tracker_store import create_engine_kwargs

            url = engine.url
            engine.dispose()
            self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.cache_size = int(cache_size)
        self._kept: OrderedDict[str, Kept] = OrderedDict()
        # How many of its events each tracker handed out (by object id and conversation) had in the database.
        # A weak reference makes sure an entry is for this very tracker, not one that reuses a collected one's id.
        self._handed: dict[tuple[int, str], tuple[weakref.ref[DialogueStateTracker], int]] = {}
        self.hits = 0
        self.misses = 0
        # Statements built once (their building and cache keys cost more than SQLite's work for them).
        table = self.SQLEvent.__table__
        self._last_id_query = (sa.select(table.c.id).where(table.c.sender_id == sa.bindparam("sender_id"))
                               .order_by(table.c.id.desc()).limit(1))
        self._insert = table.insert()

    def _last_id(self, session: Any, sender_id: str) -> Optional[int]:
        """The id of the conversation's newest stored event (one indexed lookup, in SQL Core: no ORM query)."""
        value = session.execute(self._last_id_query, {"sender_id": sender_id}).scalar()
        return None if value is None else int(value)

    async def _in_thread(self, function: Callable[..., T], *args: Any, executor: Any = None) -> T:
        """Run a blocking database call in the store's threads, so that the event loop serves others meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(executor or self._db, function, *args)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The latest session's tracker: the kept one if the database has nothing newer, else rebuilt."""
        kept = self._kept.pop(sender_id, None)  # handed out, not shared: a failed turn leaves nothing stale
        rows = await self._in_thread(self._read, sender_id, kept)
        if kept is not None and rows is None:
            self.hits += 1
            self._hand_out(kept.tracker, kept.stored)
            return kept.tracker
        self.misses += 1
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for data in rows], self.domain.slots)
        self._hand_out(tracker, len(tracker.events))
        return tracker

    def _read(self, sender_id: str, kept: Optional[Kept]) -> Optional[List[str]]:
        """None when the kept tracker is current (nobody wrote since), else the latest session's events' JSON."""
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
            if kept is not None and kept.last_id == last_id and len(kept.tracker.events) == kept.stored:
                return None
            if last_id is None:  # a new conversation: no events to query
                return []
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            return [r.data for r in rows]

    def _hand_out(self, tracker: DialogueStateTracker, stored: int) -> None:
        self._handed[(id(tracker), tracker.sender_id)] = (weakref.ref(tracker), stored)
        while len(self._handed) > 4 * self.cache_size:  # trackers handed out and never saved (API reads)
            self._handed.pop(next(iter(self._handed)))

    async def create_tracker(self, sender_id: str, append_action_listen: bool = True) -> DialogueStateTracker:
        """A new conversation's tracker, handed out as one whose stored events are known (what it had when saved):
        its first save then writes only what the message added, instead of counting the stored rows the ORM way
        (a fifth of Rasa's CPU for a conversation's first message). Empty, it is not saved: there is nothing to
        write, and `retrieve` has just found nothing stored."""
        tracker = self.init_tracker(sender_id)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            self._hand_out(tracker, 0)
            await self.save(tracker)
        self._hand_out(tracker, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events (known from when it was handed out, else counted as Rasa does) and keep
        the tracker for the conversation's next message."""
        await self.stream_events(tracker)
        entry = self._handed.pop((id(tracker), tracker.sender_id), None)
        handed = entry[1] if entry is not None and entry[0]() is tracker else None
        # Rasa's lock store lets one event of a conversation be handled at a time, so nothing else changes this
        # tracker while its rows are written in a thread.
        last_id = await self._in_thread(self._write, tracker, handed, executor=self._writes)
        self._keep(tracker, last_id)

    def _write(self, tracker: DialogueStateTracker, handed: Optional[int]) -> Optional[int]:
        """Insert the tracker's new events and commit; the id of the conversation's newest stored event."""
        with self.session_scope() as session:
            if handed is not None:
                # What this tracker added since it was handed out is what to store. (Rasa's own count would drop
                # as many of its new events as another writer had added meanwhile.)
                new_events = list(tracker.events)[handed:]
            else:  # a tracker this store did not hand out (a new conversation): Rasa's own count
                new_events = list(self._additional_events(session, tracker))
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            if rows:
                # One executemany in SQL Core: the ORM's unit of work cost a third more for the same rows.
                session.execute(self._insert, rows)
            last_id = self._last_id(session, tracker.sender_id)
            session.commit()
        return last_id

    def _row(self, sender_id: str, event: Any) -> Dict[str, Any]:
        """The events-table row of an event, as SQLTrackerStore.save writes it."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _keep(self, tracker: DialogueStateTracker, last_id: Optional[int]) -> None:
        """Keep a saved tracker as the database would give it back: from its latest session start on."""
        starts = [i for i, e in enumerate(tracker.events) if isinstance(e, SessionStarted)]
        if last_id is None:
            self._kept.pop(tracker.sender_id, None)
            return
        if starts and starts[-1] > 0:
            # What precedes the latest SessionStarted (action_session_start, an earlier session) is not read back
            # from the database, and SessionStarted resets every piece of state, so dropping it changes nothing.
            for _ in range(starts[-1]):
                tracker.events.popleft()
        self._kept[tracker.sender_id] = Kept(tracker, len(tracker.events), last_id)
        self._kept.move_to_end(tracker.sender_id)
        while len(self._kept) > self.cache_size:
            self._kept.popitem(last=False)
