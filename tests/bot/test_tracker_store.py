"""bot/tracker_store.py: a kept tracker is the tracker Rasa's SQL store would rebuild from the database, and it is
not used once the database has moved on (another process wrote) or the tracker changed after it was saved."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.tracker_store import CachedSQLTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain"))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'trackers.db'}"


def stores(url: str) -> tuple[CachedSQLTrackerStore, SQLTrackerStore]:
    return CachedSQLTrackerStore(host=url, domain=DOMAIN), SQLTrackerStore(host=url, domain=DOMAIN)


def turn(tracker: DialogueStateTracker, text: str, reply: str) -> None:
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 0.99}, parse_data={"text": text}))
    tracker.update(SlotSet("language", "zh"))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered(reply))
    tracker.update(ActionExecuted("action_listen"))


def state(tracker: DialogueStateTracker) -> dict:
    return tracker.current_state(EventVerbosity.ALL)


def new_conversation(cached: CachedSQLTrackerStore, sender: str) -> DialogueStateTracker:
    """What Rasa does for a new conversation: create, start a session, handle a first message, save."""
    tracker = run(cached.get_or_create_tracker(sender, append_action_listen=False))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    turn(tracker, "你好", "您好")
    run(cached.save(tracker))
    return tracker


def test_the_kept_tracker_is_what_rasas_store_rebuilds(url: str) -> None:
    cached, rasas = stores(url)
    first = new_conversation(cached, "c1")
    again = run(cached.retrieve("c1"))
    assert again is first and cached.hits == 1  # no rebuild
    assert state(again) == state(run(rasas.retrieve("c1")))
    assert isinstance(again.events[0], SessionStarted)  # from the session start, as a read-back tracker
    turn(again, "在吗", "在的")
    run(cached.save(again))
    rebuilt = run(rasas.retrieve("c1"))
    assert state(run(cached.retrieve("c1"))) == state(rebuilt)
    assert [e.text for e in rebuilt.events if isinstance(e, UserUttered)] == ["你好", "在吗"]  # nothing twice


def test_another_writer_or_a_change_after_saving_means_a_fresh_read(url: str) -> None:
    cached, rasas = stores(url)
    new_conversation(cached, "c2")
    other = run(rasas.retrieve("c2"))  # a replica handles a message meanwhile
    turn(other, "还在吗", "在")
    run(rasas.save(other))
    misses = cached.misses
    got = run(cached.retrieve("c2"))
    assert cached.misses == misses + 1
    assert [e.text for e in got.events if isinstance(e, UserUttered)] == ["你好", "还在吗"]
    run(cached.save(got))

    kept = run(cached.retrieve("c2"))
    run(cached.save(kept))
    kept.update(SlotSet("language", "en"))  # changed after saving, never saved
    assert run(cached.retrieve("c2")).get_slot("language") == "zh"


def test_a_new_session_keeps_only_the_latest_session(url: str) -> None:
    cached, rasas = stores(url)
    tracker = new_conversation(cached, "c3")
    tracker = run(cached.retrieve("c3"))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    turn(tracker, "hello again", "hi")
    run(cached.save(tracker))
    kept = run(cached.retrieve("c3"))
    assert state(kept) == state(run(rasas.retrieve("c3")))
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == ["hello again"]


def test_the_event_loop_serves_others_while_the_database_works(url: str) -> None:
    """A slow commit (a disk that takes its time) holds up only its own conversation."""
    cached, rasas = stores(url)
    tracker = new_conversation(cached, "slow")
    write = cached._write

    def slow_write(*args: Any) -> Any:
        import time

        time.sleep(0.5)  # blocking, as a commit waiting for fsync is
        return write(*args)

    cached._write = slow_write  # type: ignore[method-assign]
    turn(tracker, "在吗", "在的")

    async def both() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        saving = asyncio.create_task(cached.save(tracker))
        await asyncio.sleep(0.05)  # another customer's work, meanwhile
        other = loop.time() - started
        await saving
        return other, loop.time() - started

    other, saved = run(both())
    assert other < 0.3 <= saved
    assert [e.text for e in run(rasas.retrieve("slow")).events if isinstance(e, UserUttered)] == ["你好", "在吗"]


def test_sqlite_connections_are_kept_between_sessions(url: str) -> None:
    cached, _ = stores(url)
    new_conversation(cached, "pool")
    for _ in range(3):
        run(cached.retrieve("pool"))
    assert cached.engine.pool.checkedin() >= 1  # a connection waits for the next session instead of closing
    with cached.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@pytest.mark.parametrize("append_action_listen", [False, True])
def test_a_new_conversation_is_saved_without_counting_stored_rows(url: str, monkeypatch: pytest.MonkeyPatch,
                                                                  append_action_listen: bool) -> None:
    # Rasa's own save counts a conversation's stored events with an ORM query first; a tracker the store created
    # knows what it holds, so its saves write only what is new, and the database holds each event once.
    cached, rasas = stores(url)

    def counted(*_: Any) -> Any:
        raise AssertionError("stored events counted")

    monkeypatch.setattr(cached, "_additional_events", counted)
    tracker = run(cached.get_or_create_tracker("c9", append_action_listen=append_action_listen))
    assert len(tracker.events) == int(append_action_listen)
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    turn(tracker, "你好", "您好")
    run(cached.save(tracker))
    rebuilt = run(rasas.retrieve("c9"))
    assert state(run(cached.retrieve("c9"))) == state(rebuilt)
    assert [e.text for e in rebuilt.events if isinstance(e, UserUttered)] == ["你好"]
    assert run(rasas.retrieve("nobody")) is None and run(cached.retrieve("nobody")) is None
