"""Follow-up questions learned from the stored conversations: counted per session, kept only above both thresholds,
switched off by ops for good, and offered two at a time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import insert

from kefu.db import make_engine
from kefu.tracker_events import EVENTS, TrackerEvents
from knowledge_base import follow_ups
from knowledge_base.follow_ups import Thresholds
from knowledge_base.store import KnowledgeStore

NOW = time.time()


class Conversations:
    """Rasa's events table with the rows the job reads: session starts and the bot's FAQ answers."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        EVENTS.metadata.create_all(self.engine)
        self.at = NOW - 86400

    def session(self, sender: str, *answered: str, other_first: bool = False) -> None:
        """One session of `sender` in which the bot answered these entries, in order."""
        rows = [{"sender_id": sender, "type_name": "action", "action_name": "action_session_start",
                 "data": json.dumps({"event": "action", "name": "action_session_start"})}]
        if other_first:  # a reply that is not a FAQ answer changes nothing
            rows.append({"sender_id": sender, "type_name": "bot", "action_name": None,
                         "data": json.dumps({"event": "bot", "metadata": {"utter_action": "utter_greet"}})})
        for faq_id in answered:
            rows.append({"sender_id": sender, "type_name": "bot", "action_name": None, "data": json.dumps(
                {"event": "bot", "metadata": {"utter_action": "utter_faq_answer", "faq_id": faq_id}})})
        with self.engine.begin() as c:
            for row in rows:
                self.at += 1
                c.execute(insert(EVENTS).values(timestamp=self.at, intent_name=None, **row))


@pytest.fixture
def setup(tmp_path: Path) -> tuple[KnowledgeStore, Conversations, TrackerEvents]:
    url = f"sqlite:///{tmp_path / 'rasa.db'}"
    return KnowledgeStore(f"sqlite:///{tmp_path / 'kb.db'}"), Conversations(url), TrackerEvents(url)


def test_what_customers_ask_next_is_learned_above_both_thresholds(setup) -> None:
    store, talk, events = setup
    for i in range(6):
        talk.session(f"c{i}", "returns", "refund-time", other_first=i == 0)  # six ask about the refund next
    for i in range(2):
        talk.session(f"d{i}", "returns", "invoice")  # twice: a coincidence
    talk.session("e0", "returns", "returns", "refund-time")  # the same entry twice counts once
    talk.session("f0", "returns")
    talk.session("f0", "refund-time")  # the next session: another conversation, not a follow-up
    report = follow_ups.recompute(store, events, Thresholds(min_count=3, min_share=0.15), now=NOW)
    assert report["suggestions"] == 1 and report["entries_answered"] == 3
    [learned] = follow_ups.suggestions(store)
    assert (learned.entry_id, learned.next_id, learned.count) == ("returns", "refund-time", 7)
    assert learned.share == pytest.approx(7 / 10) and learned.enabled
    assert follow_ups.offered(store) == {"returns": ["refund-time"]}
    # A stricter share and the pair is no suggestion; nothing older than the window counts.
    follow_ups.recompute(store, events, Thresholds(min_count=3, min_share=0.8), now=NOW)
    assert follow_ups.suggestions(store) == []
    follow_ups.recompute(store, events, Thresholds(days=1), now=NOW + 3 * 86400)
    assert follow_ups.suggestions(store) == []


def test_ops_switch_a_suggestion_off_and_a_recount_keeps_their_choice(setup) -> None:
    store, talk, events = setup
    for i in range(5):
        talk.session(f"a{i}", "returns", "refund-time")
    for i in range(4):
        talk.session(f"b{i}", "returns", "invoice")
    for i in range(3):
        talk.session(f"c{i}", "returns", "delivery")
    follow_ups.recompute(store, events, Thresholds(min_count=3, min_share=0.15), now=NOW)
    assert follow_ups.offered(store) == {"returns": ["refund-time", "invoice"]}  # the two most frequent
    switched = follow_ups.switch(store, "returns", "refund-time", False, "olga")
    assert switched is not None and not switched.enabled
    assert follow_ups.offered(store) == {"returns": ["invoice", "delivery"]}  # the next one moves up
    follow_ups.recompute(store, events, Thresholds(min_count=3, min_share=0.15), now=NOW)
    assert follow_ups.offered(store) == {"returns": ["invoice", "delivery"]}
    assert [s.enabled for s in follow_ups.suggestions(store, "returns")] == [False, True, True]
    assert follow_ups.switch(store, "returns", "nope", True, "olga") is None
