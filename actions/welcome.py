"""The session's start, Kefu's own: Rasa's (a new session, the slots carried over), plus a welcome back with
context when something of the customer's is still open: a live hand-over, an open ticket, an order on its way (or
delivered since they asked about it). Once per conversation, and nothing extra when there is nothing to say.

What it says comes from what is stored (the desk's rows, the customer's earlier conversations, the order client),
limited to what the customer said themselves (the order number) or the order client returned (its status and date).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import memory
from actions.faq import domain_text
from actions.order_status import _orders
from desk.errors import DeskUnavailableError
from desk.service import shared_store
from desk.store import OpenMatters
from kefu.orders import Order, OrderServiceError
from kefu.vocabulary import ACTION_SESSION_START

logger = logging.getLogger(__name__)
# A look-up that takes longer than this is skipped: the customer's first reply must not wait on a slow order API.
ORDER_LOOKUP_S = 1.5


def session_language(tracker: Tracker, events: list[dict[str, Any]]) -> str:
    """The customer's language: the carried-over slot, the page's (`language` in the metadata), the one they last
    wrote in on any of their conversations, else Chinese."""
    slot = tracker.get_slot("language")
    if slot in ("zh", "en"):
        return str(slot)
    metadata = tracker.get_slot("session_started_metadata") or {}
    page = str(metadata.get("language") or "").lower() if isinstance(metadata, dict) else ""
    if page[:2] in ("zh", "en"):
        return page[:2]
    for event in reversed(events):
        if event.get("event") == "slot" and event.get("name") == "language" and event.get("value") in ("zh", "en"):
            return str(event["value"])
    return "zh"


def asked_at(events: list[dict[str, Any]], number: str) -> float:
    """When the customer last mentioned the order (unix time; 0 when unknown)."""
    for event in reversed(events):
        if number in str(event.get("text") or "") or (event.get("event") == "slot"
                                                       and event.get("value") == number):
            return float(event.get("timestamp") or 0.0)
    return 0.0


def order_news(order: Order, asked: float) -> str | None:
    """The welcome for an order: on its way (paid or shipped), or delivered since the customer asked about it."""
    if order.status in ("paid", "shipped"):
        return f"utter_welcome_back_order_{order.status}"
    if order.status == "delivered" and order.delivered_at and asked:
        asked_on = datetime.fromtimestamp(asked, UTC).date().isoformat()
        if order.delivered_at[:10] >= asked_on:
            return "utter_welcome_back_order_delivered"
    return None


def carried_over(tracker: Tracker) -> list[EventType]:
    """The slots of the session before, as Rasa's own session start carries them over (session_config)."""
    return [SlotSet(name, value) for name, value in tracker.slots.items() if value is not None]


class ActionSessionStart(Action):
    """Start the session as Rasa does, and welcome a returning customer back when something of theirs is open."""

    def name(self) -> str:
        """Rasa's name for the session start (a custom one replaces Rasa's)."""
        return ACTION_SESSION_START

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """SessionStarted, the carried-over slots, the welcome (if any), then listen."""
        try:
            await self.welcome_back(dispatcher, tracker, domain)
        except Exception:  # the session must start whatever the desk, the store or the order API do
            logger.exception("no welcome back for %s", tracker.sender_id)
        return [SessionStarted(), *carried_over(tracker), ActionExecuted("action_listen")]

    async def welcome_back(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> None:
        """Say the most pressing open matter: a live hand-over, else an open ticket, else an order's news."""
        senders = await memory.conversations(tracker)
        try:
            matters = await asyncio.to_thread(shared_store().open_matters, senders)
        except DeskUnavailableError as exc:
            logger.warning("open hand-overs and tickets of %s not read: %s", tracker.sender_id, exc)
            matters = OpenMatters()
        events = await memory.remembered(tracker, types=memory.ORDER_EVENTS, senders=senders)
        language = session_language(tracker, events)
        if matters.escalation is not None:
            self.say(dispatcher, domain, "utter_welcome_back_handoff", language)
            return
        if matters.ticket is not None:
            created = datetime.fromisoformat(str(matters.ticket["created_at"]))
            days = int(max(0.0, time.time() - created.timestamp()) // 86400)
            self.say(dispatcher, domain, "utter_welcome_back_ticket", language, ticket_id=matters.ticket["id"],
                     days=days)
            return
        orders = memory.recent_orders(events)
        if not orders:
            return
        try:
            order = await asyncio.wait_for(_orders().get(orders[0]), ORDER_LOOKUP_S)
        except (OrderServiceError, TimeoutError) as exc:
            logger.info("no order news for %s: %s", tracker.sender_id, exc)
            return
        response = order_news(order, asked_at(events, order.number)) if order else None
        if order is not None and response:
            self.say(dispatcher, domain, response, language, order_number=order.number,
                     carrier=order.carrier_name(language), eta=order.eta, delivered_at=order.delivered_at)

    @staticmethod
    def say(dispatcher: CollectingDispatcher, domain: DomainDict, response: str, language: str,
            **values: Any) -> None:
        """The response's text in the customer's language (the new session has no language slot yet to choose a
        variation by), filled in."""
        # utter_action: the stored event says which response it was, as for Rasa's own responses.
        dispatcher.utter_message(text=domain_text(domain, response, language).format(**values),
                                 utter_action=response)
