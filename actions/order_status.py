"""Order status: a form that asks for a valid order number, then a lookup told in the customer's language."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kefu.config import get_settings
from kefu.order_numbers import find_order_number
from kefu.orders import OrderClient, OrderServiceError, order_client

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
        # Forget the number so the next lookup asks again instead of repeating this one.
        return [SlotSet("order_number", None)]
