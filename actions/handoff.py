"""Hand-over to a person: join the queue, hear where you stand, talk to the agent through the bot, leave or cancel.

The escalation is written before the customer is told anything; every desk write goes through `desk.store`, which
the agent console reads. While a hand-over holds (`handoff_state`), bot/policies/handoff.py routes each message here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionReverted, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import kb as kb_client
from actions.clients.desk import (
    DeskUnavailableError,
    customer_messages,
    desk_down,
    last_question,
    shared_store,
    summary,
    told_agent,
)
from desk.attachments import placeholder
from desk.errors import DeskError, NotFoundError
from desk.queue import eta_minutes, hours_text, in_service_hours
from desk.store import DeskStore
from kefu.config import get_settings
from kefu.db import utcnow
from kefu.vocabulary import (
    ACTION_END_HANDOFF,
    ACTION_HANDOFF,
    HANDOFF_REASON,
    HANDOFF_STATE,
    IN_QUEUE,
    OFFLINE_STATUS,
    SURVEY_STATES,
    HandoffState,
)
from sentiment.frustration import customer_tier

logger = logging.getLogger(__name__)
FAILURE_WORDS = ("fallback", "unresolved", "unhelpful")


def _language(tracker: Tracker) -> str:
    return str(tracker.get_slot("language") or "zh")


def _channel(tracker: Tracker) -> str:
    return str(tracker.get_latest_input_channel() or "unknown")


def _tier(tracker: Tracker) -> str:
    return customer_tier(tracker.get_slot("customer_tier"), tracker.latest_message.get("metadata"))


def _intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


async def _kb_candidates(tracker: Tracker) -> list[dict[str, Any]]:
    """The knowledge base's best guesses at the customer's last real question (empty when the KB is not there)."""
    question = last_question(tracker)
    if not question:
        return []
    try:
        result = await asyncio.to_thread(kb_client.ask, question, _language(tracker))
    except Exception as exc:  # the summary is a courtesy: a KB problem must not block the hand-over
        logger.warning("no KB candidates for the hand-over summary: %s", exc)
        return []
    return [{"faq_id": c.faq_id, "question": c.question, "score": round(c.score, 3), "category": c.category}
            for c in result.candidates[:3]]


async def _wait(store: DeskStore, position: int) -> int:
    """Minutes until an agent picks up this position."""
    online, handle = await asyncio.gather(asyncio.to_thread(store.agents_online),
                                          asyncio.to_thread(store.avg_handle_seconds))
    return eta_minutes(position, online, handle)


async def tell_position(dispatcher: CollectingDispatcher, store: DeskStore, escalation: dict[str, Any],
                        response: str) -> None:
    """Say where the customer stands, and remember it (so a pushed update speaks only when it changed)."""
    position = int(escalation.get("position") or 1)
    eta = await _wait(store, position)
    dispatcher.utter_message(response=response, ahead=position - 1, eta=eta,
                             handoff={"state": "waiting", "position": position, "eta_min": eta})
    await asyncio.to_thread(store.set_told_position, escalation["id"], position)


class ActionHandoff(Action):
    """Put the customer in the agents' queue (or offer a message when nobody is there) and say what happens next."""

    def name(self) -> str:
        """Action name in the domain."""
        return ACTION_HANDOFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Write the escalation first, then apologise if the bot decided it, then give the queue position."""
        reason = tracker.get_slot(HANDOFF_REASON)
        asked = _intent(tracker) in ("request_human", "affirm") or not reason
        trigger = "request" if asked else (
            "failure" if any(word in str(reason) for word in FAILURE_WORDS) else "frustration")
        reason_text = str(reason or "asked for a person")
        try:
            store = shared_store()
            online = await asyncio.to_thread(store.agents_online)
            open_now = in_service_hours(utcnow(), store.rules)
            escalation, _ = await asyncio.to_thread(
                store.create_escalation,
                tracker.sender_id,
                channel=_channel(tracker),
                language=_language(tracker),
                tier=_tier(tracker),
                trigger=trigger,
                reason=reason_text,
                frustration=float(tracker.get_slot("frustration") or 0.0),
                summary=summary(tracker, await _kb_candidates(tracker)),
                status=HandoffState.WAITING.value if online and open_now else OFFLINE_STATUS,
            )
        except DeskError as exc:
            desk_down(dispatcher, tracker, exc, "utter_human_unavailable")
            return [SlotSet(HANDOFF_REASON, reason_text)]
        if not asked:
            dispatcher.utter_message(response="utter_handoff_apology")
        if escalation["status"] == OFFLINE_STATUS:
            # Inside service hours nobody happens to be online: naming the hours then reads as a contradiction.
            if open_now:
                dispatcher.utter_message(response="utter_no_agent_offer_ticket", handoff={"state": "offline"})
            else:
                dispatcher.utter_message(
                    response="utter_closed_offer_ticket",
                    hours=hours_text(store.rules, _language(tracker), utcnow()),
                    handoff={"state": "offline"},
                )
            return [SlotSet(HANDOFF_REASON, reason_text), SlotSet(HANDOFF_STATE, HandoffState.OFFER_TICKET.value)]
        try:
            await tell_position(dispatcher, store, escalation, "utter_queue_position")
        except DeskUnavailableError as exc:  # queued: only the wait could not be worked out
            desk_down(dispatcher, tracker, exc, "utter_desk_unavailable")
        return [SlotSet(HANDOFF_REASON, reason_text), SlotSet(HANDOFF_STATE, HandoffState.WAITING.value)]


class ActionQueueStatus(Action):
    """Tell the customer their place and wait (when asked, or when it got better), or that an agent has joined."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_queue_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Asked: always answer. Pushed by the desk (EXTERNAL_queue_update): speak only if something changed."""
        pushed = _intent(tracker).startswith("EXTERNAL_")
        try:
            return await self._status(dispatcher, tracker, pushed)
        except DeskUnavailableError as exc:
            if not pushed:  # a push retries by itself; a question deserves an answer
                desk_down(dispatcher, tracker, exc, "utter_desk_unavailable")
            return []

    @staticmethod
    async def _status(dispatcher: CollectingDispatcher, tracker: Tracker, pushed: bool) -> list[EventType]:
        store = shared_store()
        state = tracker.get_slot(HANDOFF_STATE)
        escalation = await asyncio.to_thread(store.active_for, tracker.sender_id)
        if escalation is None:
            if not pushed:
                dispatcher.utter_message(response="utter_not_in_queue")
            return [SlotSet(HANDOFF_STATE, None)] if state in IN_QUEUE else []
        if escalation["status"] == "claimed":
            name = escalation["agent"]["display_name"]
            # Told already, unless another agent has it now (taken back from one who did not answer, reassigned).
            if pushed and state == HandoffState.WITH_AGENT and told_agent(tracker) in (name, None):
                return []
            dispatcher.utter_message(
                response="utter_agent_joined", agent=name, handoff={"state": "with_agent", "agent": name}
            )
            return [SlotSet(HANDOFF_STATE, HandoffState.WITH_AGENT.value)]
        if pushed:  # the desk pushes better places only (EscalationRecords.position_changes): the same here
            told = await asyncio.to_thread(store.told_position, escalation["id"])
            if told is not None and escalation["position"] >= told:
                return []
        await tell_position(dispatcher, store, escalation, "utter_queue_update" if pushed else "utter_queue_position")
        return [SlotSet(HANDOFF_STATE, HandoffState.WAITING.value)]


class ActionCancelHandoff(Action):
    """The customer stops waiting (or leaving a message) and goes back to the bot."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_cancel_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Cancel the escalation (if one is active), then say the bot is back."""
        try:
            await asyncio.to_thread(shared_store().cancel, tracker.sender_id)
        except DeskUnavailableError as exc:  # still queued: the customer may try again
            desk_down(dispatcher, tracker, exc, "utter_desk_unavailable")
            return []
        dispatcher.utter_message(response="utter_handoff_cancelled", handoff={"state": "ended"})
        return [SlotSet(HANDOFF_STATE, None), SlotSet("ticket_message", None), SlotSet(HANDOFF_REASON, None)]


class ActionRelayToAgent(Action):
    """During a hand-over, pass the customer's message to the agent desk; the bot says nothing."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_relay_to_agent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Store this message, and any earlier one of the hand-over that missed the desk (the action server was
        down), once each by Rasa's message id."""
        try:
            return await self._relay(dispatcher, tracker)
        except DeskUnavailableError as exc:  # the message stays in the transcript; the next relay backfills it
            desk_down(dispatcher, tracker, exc, "utter_relay_failed")
            return []

    @staticmethod
    async def _relay(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        store = shared_store()
        frustration = tracker.get_slot("frustration")
        messages = customer_messages(tracker, since_action=ACTION_HANDOFF)
        known = await asyncio.to_thread(store.relayed_sources, tracker.sender_id)
        # The newest message always goes through the store (it reports whether a hand-over is still active).
        pending = [m for m in messages[:-1] if m["message_id"] not in known] + messages[-1:]
        relayed = None
        for message in pending:
            sentiment = message["sentiment"]
            relayed = await asyncio.to_thread(
                store.add_customer_message,
                tracker.sender_id,
                message["text"],
                sentiment={
                    "label": sentiment.get("label"),
                    "score": sentiment.get("score"),
                    "probabilities": sentiment.get("probabilities"),
                }
                if sentiment.get("label")
                else None,
                frustration=float(frustration) if frustration is not None else None,
                source_id=message["message_id"],
                attachment=message["attachment"],
            )
        if relayed is None:
            # The desk ended the hand-over before its "ended" event arrived: the bot has the conversation again.
            dispatcher.utter_message(response="utter_handoff_ended", handoff={"state": "ended"})
            return [SlotSet(HANDOFF_STATE, None)]
        return []


def _content(message: dict[str, Any]) -> dict[str, Any]:
    """What the bot says for an agent's desk message: its text, and an attachment's public address (an image
    shown as one; a file as a link with its name). A file sent without words gets no caption of its own."""
    attachment = message.get("attachment")
    if not attachment:
        return {"text": message["text"]}
    url = f"{get_settings().files_url}/{attachment['token']}"
    caption = None if message["text"] == placeholder(attachment["filename"]) else message["text"]
    if attachment["image"]:
        return {"text": caption, "image": url}
    return {"text": caption or attachment["filename"],
            "attachment": {"type": "file", "payload": {"url": url, "name": attachment["filename"]}}}


class ActionRelayAgentReply(Action):
    """Send an agent's reply (EXTERNAL_agent_reply from the desk) to the customer, once."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_relay_agent_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Mark the desk message delivered; only the first delivery speaks (the desk retries until one does)."""
        ids = [
            e.get("value") for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "desk_message_id"
        ]
        try:
            await self._deliver(dispatcher, tracker, ids)
        except DeskUnavailableError as exc:  # undelivered: the desk sends it again until a delivery is marked
            desk_down(dispatcher, tracker, exc, "utter_agent_reply_delayed")
        with_agent = HandoffState.WITH_AGENT
        return [] if tracker.get_slot(HANDOFF_STATE) == with_agent else [SlotSet(HANDOFF_STATE, with_agent.value)]

    @staticmethod
    async def _deliver(dispatcher: CollectingDispatcher, tracker: Tracker, ids: list[Any]) -> None:
        store = shared_store()
        for raw in ids:
            try:
                message, conversation = await asyncio.to_thread(store.agent_message, int(raw))
            except (NotFoundError, ValueError, TypeError) as exc:  # an outage propagates to run()
                logger.warning("agent reply %r not relayed: %s", raw, exc)
                continue
            if conversation != tracker.sender_id:
                logger.warning("agent reply %s belongs to %s, not %s", raw, conversation, tracker.sender_id)
                continue
            if await asyncio.to_thread(store.mark_delivered, message["id"]):
                # The agent's name travels as message metadata, for widgets that show who is speaking.
                dispatcher.utter_message(
                    **_content(message),
                    agent_name=message["agent_name"],
                    handoff={"state": "with_agent", "agent": message["agent_name"]},
                )


class ActionEndHandoff(Action):
    """The agent resolved the conversation: the bot takes it back and asks for a rating."""

    def name(self) -> str:
        """Action name in the domain."""
        return ACTION_END_HANDOFF

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say the agent has finished, then ask for a 1–5 rating (once per resolved hand-over)."""
        if tracker.get_slot(HANDOFF_STATE) in SURVEY_STATES:
            return []
        try:
            last = await asyncio.to_thread(shared_store().last_for, tracker.sender_id)
        except DeskUnavailableError as exc:  # the desk ended it, so it is over; only the survey is skipped
            logger.error("no rating asked in %s's conversation: %s", tracker.sender_id, exc)
            dispatcher.utter_message(response="utter_handoff_ended", handoff={"state": "ended"})
            return [SlotSet(HANDOFF_STATE, None), SlotSet(HANDOFF_REASON, None)]
        if last is None or last["status"] != "resolved":
            return []
        dispatcher.utter_message(response="utter_handoff_ended", handoff={"state": "ended"})
        dispatcher.utter_message(response="utter_ask_rating")
        return [SlotSet(HANDOFF_STATE, HandoffState.RATING.value), SlotSet(HANDOFF_REASON, None)]


class ActionAcknowledgeFeeling(Action):
    """On the first clearly negative turn, acknowledge how the customer feels before answering."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_acknowledge_feeling"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say it, then undo this action in the dialogue state, so the rules answer the message as usual."""
        dispatcher.utter_message(response="utter_acknowledge_feeling")
        # ActionReverted ("undo") removes this action from the state the policies see; the message sent above and
        # the event stay in the transcript, which is how the escalation policy knows it has acknowledged already.
        return [ActionReverted()]
