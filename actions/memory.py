"""What the bot remembers of a returning customer, from their own stored conversations (Rasa's events, every earlier
session): the orders they asked about, and the knowledge-base entries they were given.
Nothing is copied elsewhere; deleting a conversation (retention, "forget me") deletes what is remembered.

Whose conversations: the channel identity's own (the REST sender, the web chat's visitor id, the WeChat openid),
and, when the shop vouched for the customer with a signed id (kefu/identity.py), every conversation on any channel
linked to that id (desk/store/identities.py). An unverified visitor is remembered only where they were.

Rasa hands an action only the current session; the earlier ones are read from the tracker store (one indexed
look-up by sender, only when an action needs them: the session's start, asking for an order number, after an FAQ
answer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker

from desk.errors import DeskUnavailableError
from desk.service import shared_store
from kefu.config import get_settings
from kefu.identity import verified_customer
from kefu.order_numbers import find_order_number
from kefu.tracker_events import TrackerEvents, TrackerUnavailableError
from kefu.vocabulary import ACTION_SESSION_START, FAQ_ANSWER_RESPONSES

logger = logging.getLogger(__name__)

# An order or a question older than this is not brought up again.
ORDERS_WITHIN_S = 30 * 86400
REPEAT_WITHIN_S = 7 * 86400
MAX_ORDERS = 3


@dataclass(frozen=True)
class EarlierAnswer:
    """An entry the customer was given in an earlier conversation, and when."""

    faq_id: str
    at: float

    def days_ago(self, now: float) -> int:
        """Whole days since (0: earlier today)."""
        return int(max(0.0, now - self.at) // 86400)


@lru_cache(maxsize=1)
def _store() -> TrackerEvents:
    return TrackerEvents(get_settings().tracker_url)


def stored_history(senders: list[str], since: float, before: float | None,
                   types: tuple[str, ...]) -> list[dict[str, Any]]:
    """The conversations' stored events of these types from `since` (the first one's until its current session
    began)."""
    return _store().history(senders, since, before, types=types)


def verified_id(tracker: Tracker) -> str | None:
    """The shop's customer id a channel verified, from the latest message or the session's first one."""
    return (verified_customer(tracker.latest_message.get("metadata"))
            or verified_customer(tracker.get_slot("session_started_metadata")))


# Links already written by this process, so a verified customer's every answer does not write the same row again.
_linked: set[tuple[str, str]] = set()
MAX_LINKED_CACHE = 10_000


def _conversations(sender: str, channel: str, customer: str | None) -> list[str]:
    store = shared_store()
    if customer and (customer, sender) not in _linked:
        store.link_customer(customer, sender, channel)
        if len(_linked) >= MAX_LINKED_CACHE:
            _linked.clear()
        _linked.add((customer, sender))
    return store.linked_conversations(sender, customer)


async def conversations(tracker: Tracker) -> list[str]:
    """This conversation first, then the same verified customer's others on any channel (linking this one when the
    latest message carries a verified id); only this one for an unverified visitor or while the desk is away."""
    customer = verified_id(tracker)
    try:
        return await asyncio.to_thread(_conversations, tracker.sender_id,
                                       tracker.get_latest_input_channel() or "unknown", customer)
    except DeskUnavailableError as exc:
        logger.warning("conversations linked to %s not read: %s", tracker.sender_id, exc)
        return [tracker.sender_id]


# What each memory reads: the orders from what the customer typed and the form was given; the questions from the
# bot's answers (action events mark where sessions begin). A narrower read keeps the FAQ answer's cost low.
ORDER_EVENTS = ("user", "slot", "action")
ANSWER_EVENTS = ("bot", "action")


async def remembered(tracker: Tracker, within_s: float = ORDERS_WITHIN_S, types: tuple[str, ...] = ORDER_EVENTS,
                     senders: list[str] | None = None) -> list[dict[str, Any]]:
    """This customer's events of these types from the last `within_s` seconds, earlier sessions and their verified
    conversations on other channels included, oldest first; the current session as Rasa sent it last (the store may
    be away: then only that, logged). `senders`: the conversations() already read."""
    current = list(tracker.events)
    began = next((float(e["timestamp"]) for e in current
                  if e.get("event") == "action" and e.get("name") == ACTION_SESSION_START and e.get("timestamp")),
                 None)
    try:
        senders = senders or await conversations(tracker)
        earlier = await asyncio.to_thread(stored_history, senders, time.time() - within_s, began, types)
    except TrackerUnavailableError as exc:
        logger.warning("earlier conversations of %s not read: %s", tracker.sender_id, exc)
        earlier = []
    return earlier + current


def recent_orders(events: list[dict[str, Any]], now: float | None = None) -> list[str]:
    """The customer's order numbers of the last 30 days, newest first (at most 3): those they typed or picked and
    those the order form was given, in this conversation and the earlier ones of the same identity."""
    now = time.time() if now is None else now
    seen: list[str] = []
    for event in reversed(events):
        at = event.get("timestamp") or now
        if now - float(at) > ORDERS_WITHIN_S:
            break
        number = None
        if event.get("event") == "user":
            number = find_order_number(str(event.get("text") or ""))
        elif event.get("event") == "slot" and event.get("name") == "order_number":
            number = find_order_number(str(event.get("value") or ""))
        if number and number not in seen:
            seen.append(number)
            if len(seen) == MAX_ORDERS:
                break
    return seen


def asked_before(events: list[dict[str, Any]], faq_id: str, now: float | None = None,
                 categories: dict[str, str] | None = None) -> EarlierAnswer | None:
    """When the customer was last given this entry, or another of its category, in an earlier conversation of the
    last 7 days, if they were: asking again means the first answer did not settle it. `categories` (entry →
    category) makes the category count; the catch-all "general" never does."""
    now = time.time() if now is None else now
    category = (categories or {}).get(faq_id) or ""
    sessions = 0
    for event in reversed(events):
        kind = event.get("event")
        if kind == "action" and event.get("name") == ACTION_SESSION_START:
            sessions += 1
        at = float(event.get("timestamp") or now)
        if now - at > REPEAT_WITHIN_S:
            return None
        if sessions and kind == "bot":
            metadata: dict[str, Any] = event.get("metadata") or {}
            earlier = metadata.get("faq_id")
            if metadata.get("utter_action") not in FAQ_ANSWER_RESPONSES or not earlier:
                continue
            if earlier == faq_id or (category and category != "general"
                                     and (categories or {}).get(str(earlier)) == category):
                return EarlierAnswer(str(earlier), at)
    return None


def when_text(days: int, language: str) -> str:
    """"3 天前" / "3 days ago", "昨天" / "yesterday", "今天早些时候" / "earlier today"."""
    if language == "zh":
        return "今天早些时候" if days == 0 else "昨天" if days == 1 else f" {days} 天前"
    return "earlier today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
