"""Next steps learned from history: after the bot answers an entry, the entries customers most often asked about
next in the same conversation.

A job (`python -m knowledge_base follow-ups`, or Recompute in the ops console) reads the bot's FAQ answers from
Rasa's stored conversations and counts, per entry A, the conversations (sessions) in which another entry B was
answered after A. A pair becomes a suggestion only when seen in at least `min_count` conversations and in at least
`min_share` of A's: a coincidence or two does not make a suggestion. Ops see every suggestion and may switch any
off; a recount keeps their choice. The bot offers the two most frequent suggestions that are switched on.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kefu.db import utcnow
from kefu.tracker_events import EventRow, TrackerEvents
from kefu.vocabulary import ACTION_SESSION_START, FAQ_ANSWER_RESPONSES
from knowledge_base.db import FollowUp
from knowledge_base.store import KnowledgeStore

OFFERED = 2  # suggestions the bot offers after an answer


@dataclass(frozen=True)
class Thresholds:
    """When a pair is a suggestion: seen in this many conversations, and in this share of the entry's."""

    min_count: int = 3
    min_share: float = 0.15
    days: int = 90

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        """KEFU_KB_FOLLOW_UP_MIN_COUNT, _MIN_SHARE and _DAYS."""
        return cls(settings.kb_follow_up_min_count, settings.kb_follow_up_min_share, settings.kb_follow_up_days)


@dataclass(frozen=True)
class Suggestion:
    """Customers asked `next_id` after `entry_id` in `count` conversations, `share` of those answering entry_id."""

    entry_id: str
    next_id: str
    count: int
    share: float
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        """For --json and the API."""
        return {"entry_id": self.entry_id, "next_id": self.next_id, "count": self.count,
                "share": round(self.share, 4), "enabled": self.enabled}


def faq_answered(row: EventRow) -> str | None:
    """The entry a stored bot event answered with, if it is a FAQ answer."""
    try:
        event = json.loads(row.data or "")
    except ValueError:
        return None
    metadata = event.get("metadata") if isinstance(event, dict) else None
    if not isinstance(metadata, dict) or metadata.get("utter_action") not in FAQ_ANSWER_RESPONSES:
        return None
    faq_id = metadata.get("faq_id")
    return str(faq_id) if faq_id else None


def count_pairs(rows: Iterable[EventRow]) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(how many conversations asked B after A, per pair; how many conversations were answered A, per entry), from
    the stored events in the order Rasa stored them. A conversation is one session of one sender; each pair and
    each entry counts once per conversation."""
    pairs: Counter[tuple[str, str]] = Counter()
    answered: Counter[str] = Counter()
    # Per sender, the entries answered in the current session, in order (dicts keep insertion order).
    session: dict[str, dict[str, None]] = defaultdict(dict)
    for row in rows:
        if row.action_name == ACTION_SESSION_START:
            session.pop(row.sender_id, None)
            continue
        faq_id = faq_answered(row) if row.type_name == "bot" else None
        if faq_id is None or faq_id in session[row.sender_id]:
            continue
        answered[faq_id] += 1
        if session[row.sender_id]:  # what was asked right before: the step the customer took next
            pairs[(next(reversed(session[row.sender_id])), faq_id)] += 1
        session[row.sender_id][faq_id] = None
    return pairs, answered


def learn(pairs: Counter[tuple[str, str]], answered: Counter[str], thresholds: Thresholds) -> list[Suggestion]:
    """The pairs above both thresholds, most frequent first per entry."""
    found = [Suggestion(a, b, n, n / answered[a]) for (a, b), n in pairs.items()
             if a != b and answered[a] and n >= thresholds.min_count and n / answered[a] >= thresholds.min_share]
    return sorted(found, key=lambda s: (s.entry_id, -s.count, -s.share, s.next_id))


def recompute(store: KnowledgeStore, events: TrackerEvents, thresholds: Thresholds,
              now: float | None = None) -> dict[str, Any]:
    """Count the last `days` of conversations and store the suggestions: new ones switched on, ops' switches kept,
    the ones no longer above the thresholds removed unless ops switched them off (their choice stays)."""
    now = time.time() if now is None else now
    rows = events.in_window(now - thresholds.days * 86400, now + 1, types=("bot",), actions=(ACTION_SESSION_START,))
    pairs, answered = count_pairs(rows)
    learned = learn(pairs, answered, thresholds)
    with store.session() as s:
        kept = {(f.entry_id, f.next_id): f for f in s.scalars(select(FollowUp))}
        fresh = {(x.entry_id, x.next_id) for x in learned}
        for key, old in kept.items():
            if key not in fresh and old.enabled:
                s.delete(old)
            elif key not in fresh:  # switched off by ops: kept, with today's figures
                n = pairs.get(key, 0)
                old.count, old.share = n, n / answered[key[0]] if answered[key[0]] else 0.0
        for x in learned:
            row = kept.get((x.entry_id, x.next_id))
            if row is None:
                s.add(FollowUp(entry_id=x.entry_id, next_id=x.next_id, count=x.count, share=x.share, enabled=True,
                               updated_at=utcnow()))
            else:
                row.count, row.share, row.updated_at = x.count, x.share, utcnow()
    return {"conversations": sum(answered.values()), "entries_answered": len(answered), "pairs": len(pairs),
            "suggestions": len(learned), "days": thresholds.days, "min_count": thresholds.min_count,
            "min_share": thresholds.min_share}


def suggestions(store: KnowledgeStore, entry_id: str | None = None) -> list[Suggestion]:
    """The stored suggestions (of one entry), most frequent first."""
    with store.session() as s:
        query = select(FollowUp).order_by(FollowUp.entry_id, FollowUp.count.desc(), FollowUp.next_id)
        if entry_id is not None:
            query = query.where(FollowUp.entry_id == entry_id)
        return [Suggestion(f.entry_id, f.next_id, f.count, f.share, f.enabled) for f in s.scalars(query)]


def switch(store: KnowledgeStore, entry_id: str, next_id: str, enabled: bool, author: str) -> Suggestion | None:
    """Switch a suggestion on or off (None: there is no such suggestion)."""
    with store.session() as s:
        row = s.get(FollowUp, (entry_id, next_id))
        if row is None:
            return None
        row.enabled, row.switched_by, row.updated_at = enabled, author, utcnow()
        return Suggestion(row.entry_id, row.next_id, row.count, row.share, row.enabled)


def offered(store: KnowledgeStore) -> dict[str, list[str]]:
    """Per entry, the next entries the bot offers: the switched-on suggestions, most frequent first, at most two."""
    out: dict[str, list[str]] = {}
    for x in suggestions(store):
        if x.enabled and len(out.setdefault(x.entry_id, [])) < OFFERED:
            out[x.entry_id].append(x.next_id)
    return out

