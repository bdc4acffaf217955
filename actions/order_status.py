"""Order status: a form that asks for a valid order number, then a lookup told in the customer's language."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.desk import metadata_text, shared_store
from actions.compensation import code_text
from actions.memory import recent_orders, remembered
from desk.errors import DeskError
from desk.recovery import compensate
from kefu.compensation import describe
from kefu.config import get_settings
from kefu.order_numbers import find_order_number
from kefu.orders import Order, OrderClient, OrderServiceError, is_late, order_client

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _orders() -> OrderClient:
    return order_client(get_settings())


class ValidateOrderStatusForm(FormValidationAction):
    """Accept only something that is an order number; otherwise explain the format and ask again."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "validate_order_status_form"

    def validate_order_number(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keep the normalised number found in the reply, or clear the slot so the form asks again."""
        number = find_order_number(slot_value if isinstance(slot_value, str) else None)
        if number is None:
            dispatcher.utter_message(response="utter_invalid_order_number")
        return {"order_number": number}


async def _apologise_if_late(dispatcher: CollectingDispatcher, tracker: Tracker, order: Order, language: str) -> None:
    """An order past its promised date is a failure the bot can verify: apologise and give the late-order coupon,
    within the bot's limit and the customer's cap, once per order (a second look-up reminds them of it)."""
    settings = get_settings()
    if settings.compensation_late_order <= 0 or not is_late(order, datetime.now(ZoneInfo(settings.handoff_timezone))
                                                            .date()):
        return
    try:
        compensation, new = await compensate(
            shared_store(), _orders(), settings.compensation_policy(), key=f"late-order:{order.number}",
            conversation_id=tracker.sender_id, kind="coupon", amount=settings.compensation_late_order,
            reason=f"order {order.number} past its promised delivery date {order.eta}", actor="bot", role="bot",
            customer=metadata_text(tracker, "customer_id", numbers=True))
    except DeskError as exc:  # over the cap or the bot's limit, or the desk's database is away
        logger.info("no late-order compensation for %s: %s", order.number, exc)
        return
    dispatcher.utter_message(
        response="utter_compensation_late_order" if new else "utter_compensation_late_order_given",
        order_number=order.number, eta=order.eta, what=describe("coupon", compensation["amount"], language),
        code=code_text(compensation, language))


class ActionAskOrderNumber(Action):
    """Ask for the order number; a returning customer is offered their recent orders as buttons (one: "是这个订单
    吗？", several: up to 3), any of which they may skip by typing a number."""

    def name(self) -> str:
        """Rasa's name for this action (the form asks with it instead of utter_ask_order_number)."""
        return "action_ask_order_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The plain question without history; otherwise the orders as buttons that send their number."""
        orders = recent_orders(await remembered(tracker))
        if not orders:
            dispatcher.utter_message(response="utter_ask_order_number")
            return []
        buttons = [{"title": number, "payload": number} for number in orders]
        if len(orders) == 1:
            dispatcher.utter_message(response="utter_ask_order_number_recent", order_number=orders[0],
                                     buttons=buttons)
        else:
            dispatcher.utter_message(response="utter_ask_order_number_choice", buttons=buttons)
        return []


class ActionCheckOrderStatus(Action):
    """Look the order up and tell the customer where it stands."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_check_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Utter the status response for the order, or say honestly that it was not found or not reachable."""
        number = tracker.get_slot("order_number")
        language = tracker.get_slot("language") or "zh"
        try:
            order = await _orders().get(number)
        except OrderServiceError:
            logger.exception("order lookup failed for %s", number)
            dispatcher.utter_message(response="utter_order_service_down")
            return [SlotSet("order_number", None)]
        if order is None:
            dispatcher.utter_message(response="utter_order_not_found", order_number=number)
        else:
            dispatcher.utter_message(
                response=f"utter_order_status_{order.status}",
                order_number=order.number,
                carrier=order.carrier_name(language),
                tracking_number=order.tracking_number,
                eta=order.eta,
                delivered_at=order.delivered_at,
            )
            await _apologise_if_late(dispatcher, tracker, order, language)
        # Forget the number so the next lookup asks again instead of repeating this one.
        return [SlotSet("order_number", None)]
