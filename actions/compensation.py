"""Service recovery, told to the customer: a compensation the desk granted, asked a supervisor for, or that the
supervisor approved or declined (EXTERNAL_compensation from the console); each status is said once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.desk import DeskUnavailableError, shared_store
from desk.errors import NotFoundError
from kefu.compensation import describe

logger = logging.getLogger(__name__)
RESPONSES = {"granted": "utter_compensation_granted", "pending": "utter_compensation_pending",
             "approved": "utter_compensation_approved", "declined": "utter_compensation_declined"}


def code_text(compensation: dict[str, Any], language: str) -> str:
    """The coupon or refund reference, or that it follows (the order system was down when it was granted)."""
    return str(compensation.get("code") or ("稍后发送" if language == "zh" else "to follow"))


class ActionTellCompensation(Action):
    """Tell the customer what the desk decided about compensation, in their language, once per status."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_tell_compensation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say the compensation's current status, if it is this conversation's and not said before."""
        ids = [e.get("value") for e in tracker.latest_message.get("entities") or []
               if e.get("entity") == "compensation_id"]
        language = tracker.get_slot("language") or "zh"
        store = shared_store()
        for raw in ids:
            try:
                compensation = await asyncio.to_thread(store.compensation, int(raw))
                if compensation["conversation_id"] != tracker.sender_id:
                    logger.warning("compensation %s belongs to another conversation", raw)
                    continue
                if not await asyncio.to_thread(store.mark_told, compensation["id"], compensation["status"]):
                    continue  # the desk's notice came twice: said once
            except (NotFoundError, ValueError, TypeError, DeskUnavailableError) as exc:
                logger.warning("compensation %r not told: %s", raw, exc)
                continue
            dispatcher.utter_message(response=RESPONSES[compensation["status"]],
                                     what=describe(compensation["kind"], compensation["amount"], language),
                                     code=code_text(compensation, language))
        return []
