"""Offline tickets: when no agent can take the conversation, the customer leaves a message and how to reach them."""

from __future__ import annotations

import asyncio
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.desk import DeskUnavailableError, desk_down, shared_store
from kefu.vocabulary import HANDOFF_REASON, HANDOFF_STATE, HandoffState

# A mainland mobile number, any other phone number of 7+ digits (spaces and dashes allowed), or an email address.
CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\d)1[3-9]\d{9}(?!\d)|(?<![\d+])\+?\d[\d -]{5,18}\d(?!\d)"
)


def find_contact(text: str) -> str | None:
    """The first email address or phone number in the text."""
    match = CONTACT.search(text or "")
    return match.group(0).strip() if match else None


class ActionLeaveTicket(Action):
    """Ask for the message, then for contact details (unless already given), and store the ticket."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_leave_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """One step of the exchange, chosen by `handoff_state`; the ticket is stored before it is confirmed."""
        state = tracker.get_slot(HANDOFF_STATE)
        text = (tracker.latest_message.get("text") or "").strip()
        if state in (HandoffState.OFFER_TICKET, HandoffState.WAITING, None):
            if state == HandoffState.WAITING:  # leaving a message instead of waiting
                try:
                    await asyncio.to_thread(shared_store().cancel, tracker.sender_id)
                except DeskUnavailableError as exc:  # still queued; an agent may yet pick up
                    desk_down(dispatcher, tracker, exc, "utter_desk_unavailable")
                    return []
            dispatcher.utter_message(response="utter_ask_ticket_message")
            return [SlotSet(HANDOFF_STATE, HandoffState.TICKET_MESSAGE.value)]
        if state == HandoffState.TICKET_MESSAGE:
            message, contact = text, find_contact(text)
            if contact is None:
                dispatcher.utter_message(response="utter_ask_ticket_contact")
                return [SlotSet("ticket_message", message), SlotSet(HANDOFF_STATE, HandoffState.TICKET_CONTACT.value)]
        else:  # ticket_contact: whatever they give is the contact, even if it is not a number or an address
            message = str(tracker.get_slot("ticket_message") or "")
            contact = find_contact(text) or text
        try:
            ticket = await asyncio.to_thread(
                shared_store().create_ticket,
                tracker.sender_id,
                channel=str(tracker.get_latest_input_channel() or "unknown"),
                language=str(tracker.get_slot("language") or "zh"),
                message=message,
                contact=contact,
            )
        except DeskUnavailableError as exc:
            # Keep the message: the customer's next message (their contact again) resubmits the ticket.
            desk_down(dispatcher, tracker, exc, "utter_ticket_not_saved")
            return [SlotSet("ticket_message", message), SlotSet(HANDOFF_STATE, HandoffState.TICKET_CONTACT.value)]
        dispatcher.utter_message(response="utter_ticket_saved", ticket=ticket["id"], contact=contact)
        return [SlotSet(HANDOFF_STATE, None), SlotSet("ticket_message", None), SlotSet(HANDOFF_REASON, None)]
