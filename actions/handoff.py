"""Hand-over to a person: apologise when the bot's own failure or the customer's frustration caused it, say what
happens next, and record why in the conversation."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionReverted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class ActionHandoff(Action):
    """Tell the customer a person takes over; the escalation policy fills `handoff_reason` before this runs."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Apologise if the customer did not ask for this themselves, then say how a person will help."""
        reason = tracker.get_slot("handoff_reason")
        asked = (tracker.latest_message.get("intent") or {}).get("name") == "request_human"
        if reason and not asked:
            dispatcher.utter_message(response="utter_handoff_apology")
        dispatcher.utter_message(response="utter_human_unavailable")
        return [SlotSet("handoff_reason", reason or "asked for a person")]


class ActionAcknowledgeFeeling(Action):
    """On the first clearly negative turn, acknowledge how the customer feels before answering."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_acknowledge_feeling"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Say it, then undo this action in the dialogue state, so the rules answer the message as usual."""
        dispatcher.utter_message(response="utter_acknowledge_feeling")
        # ActionReverted ("undo") removes this action from the state the policies see; the message sent above and
        # the event stay in the transcript, which is how the escalation policy knows it has acknowledged already.
        return [ActionReverted()]
