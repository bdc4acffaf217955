"""The survey after a hand-over: a 1–5 rating, how likely the customer is to recommend us (0–10, for NPS), then an
optional comment, stored with the agent."""

from __future__ import annotations

import asyncio
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.desk import DeskUnavailableError, desk_down, shared_store
from kefu.vocabulary import HANDOFF_STATE, HandoffState

DIGIT = re.compile(r"[1-5]")
NPS_NUMBER = re.compile(r"^\s*(10|[0-9])\s*(分|/10)?\s*$")


def score_from(tracker: Tracker) -> int | None:
    """The rating from the button's csat_score entity, or the digit the customer typed."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "csat_score":
            try:
                value = int(str(entity.get("value")))
            except ValueError:
                continue
            if 1 <= value <= 5:
                return value
    match = DIGIT.search(tracker.latest_message.get("text") or "")
    return int(match.group(0)) if match else None


class ActionStoreRating(Action):
    """Store the customer's rating of the hand-over and ask how likely they are to recommend us."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_store_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Stored first, thanked after."""
        score = score_from(tracker)
        if score is None:
            dispatcher.utter_message(response="utter_ask_rating")
            return []
        try:
            await asyncio.to_thread(shared_store().record_rating, tracker.sender_id, score)
        except DeskUnavailableError as exc:  # no comment asked for a rating that was not stored
            desk_down(dispatcher, tracker, exc, "utter_rating_not_saved")
            return [SlotSet(HANDOFF_STATE, None)]
        dispatcher.utter_message(response="utter_ask_nps")
        return [SlotSet(HANDOFF_STATE, HandoffState.NPS.value)]


def nps_from(tracker: Tracker) -> int | None:
    """The 0-10 recommendation score from the button's nps_score entity, or the bare number the customer typed."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "nps_score":
            try:
                value = int(str(entity.get("value")))
            except ValueError:
                continue
            if 0 <= value <= 10:
                return value
    match = NPS_NUMBER.match(tracker.latest_message.get("text") or "")
    return int(match.group(1)) if match else None


class ActionStoreNps(Action):
    """Store how likely the customer is to recommend us (0-10), then ask for an optional comment; words instead of
    a number are the comment they wanted to give, and end the survey."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_store_nps"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Stored first, asked for the comment after."""
        score = nps_from(tracker)
        if score is None:
            return await ActionStoreRatingComment().run(dispatcher, tracker, domain)
        try:
            await asyncio.to_thread(shared_store().record_nps, tracker.sender_id, score)
        except DeskUnavailableError as exc:
            desk_down(dispatcher, tracker, exc, "utter_rating_not_saved")
            return [SlotSet(HANDOFF_STATE, None)]
        dispatcher.utter_message(response="utter_ask_rating_comment")
        return [SlotSet(HANDOFF_STATE, HandoffState.RATING_COMMENT.value)]


class ActionStoreRatingComment(Action):
    """Store the customer's comment on the hand-over (or take "skip"), and thank them."""

    def name(self) -> str:
        """Action name in the domain."""
        return "action_store_rating_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The skip button sends /deny; anything else typed is the comment."""
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if text and not text.startswith("/") and intent != "deny":
            try:
                await asyncio.to_thread(shared_store().add_rating_comment, tracker.sender_id, text)
            except DeskUnavailableError as exc:
                desk_down(dispatcher, tracker, exc, "utter_rating_not_saved")
                return [SlotSet(HANDOFF_STATE, None)]
        dispatcher.utter_message(response="utter_thanks_feedback")
        return [SlotSet(HANDOFF_STATE, None)]
