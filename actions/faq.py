"""FAQ answers from the knowledge base: answer, clarify with buttons, or say honestly it is not known yet.

Every failure (unknown question, unhelpful answer, clarification not taken) is written to the review queue
before the customer is answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from knowledge_base import service
from knowledge_base.answering import ANSWER, CLARIFY, KnowledgeBase, Result
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.review import ReviewQueue

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _kb() -> KnowledgeBase:
    return service.knowledge_base()


@lru_cache(maxsize=1)
def _queue() -> ReviewQueue:
    return service.review_queue()


def _warm_up() -> None:
    """Load the model and index in the background so the first customer does not wait for them."""
    try:
        _kb().ask("warm-up", "zh")
    except KnowledgeBaseError as exc:
        logger.warning("knowledge base not ready at start-up: %s", exc)


if os.environ.get("KEFU_WARM_UP") == "1":
    threading.Thread(target=_warm_up, name="kb-warm-up", daemon=True).start()


def domain_text(domain: DomainDict, response: str, language: str) -> str:
    """The text of a domain response in a language (wording lives in the domain, not here)."""
    variations = domain.get("responses", {}).get(response, [])
    for variation in variations:
        for condition in variation.get("condition", []) or []:
            if condition.get("name") == "language" and condition.get("value") == language:
                return str(variation.get("text", ""))
    return str(variations[0].get("text", "")) if variations else response


def _context(tracker: Tracker) -> dict[str, str]:
    return {
        "conversation_id": tracker.sender_id,
        "channel": tracker.get_latest_input_channel() or "unknown",
        "lang": tracker.get_slot("language") or "zh",
    }


def _choice_title(kb: KnowledgeBase, faq_id: str, best_question: str, language: str) -> str:
    """A button title for an entry in the customer's language: one of its variants in that language if any."""
    meta = kb.current().meta
    for entry_id, lang, question in zip(meta.entry_ids, meta.langs, meta.questions, strict=True):
        if entry_id == faq_id and lang == language:
            return question
    return best_question


async def _record(tracker: Tracker, text: str, kind: str, result: Result | None, failed: str | None = None) -> None:
    """Write one review item (in a worker thread: it embeds and touches the database)."""
    candidates = [c.as_dict() for c in result.candidates[:5]] if result else []
    vector = result.vector if result else None
    await asyncio.to_thread(_queue().record, text=text, kind=kind, candidates=candidates, failed_faq_id=failed,
                            vector=vector, **_context(tracker))


class ActionAnswerFaq(Action):
    """Answer a question from the knowledge base, offer choices when unsure, admit when it is not known."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Search, decide, record failures, then reply."""
        text = (tracker.latest_message.get("text") or "").strip()
        language = tracker.get_slot("language") or "zh"
        events: list[EventType] = []
        pending = tracker.get_slot("kb_pending_question")
        try:
            result = await asyncio.to_thread(_kb().ask, text, language)
            if pending:
                # The customer asked something new instead of picking one of the offered questions.
                await _record(tracker, pending, "ignored_clarification", None)
                events.append(SlotSet("kb_pending_question", None))
            if result.decision != ANSWER and result.decision != CLARIFY:
                await _record(tracker, text, "unresolved", result)
        except KnowledgeBaseError:
            logger.exception("knowledge base unavailable for %r", text)
            dispatcher.utter_message(response="utter_faq_unavailable")
            return events
        if result.decision == ANSWER:
            best = result.candidates[0]
            dispatcher.utter_message(response="utter_faq_answer", answer=best.answer, faq_id=best.faq_id)
            return [*events, SlotSet("kb_last_faq_id", best.faq_id), SlotSet("kb_last_question", text)]
        if result.decision == CLARIFY:
            kb = _kb()
            buttons = [
                {"title": _choice_title(kb, c.faq_id, c.question, language),
                 "payload": "/choose_faq" + json.dumps({"faq_id": c.faq_id})}
                for c in result.choices
            ]
            buttons.append({"title": domain_text(domain, "utter_faq_none_button", language),
                            "payload": "/reject_choices"})
            dispatcher.utter_message(response="utter_faq_clarify", buttons=buttons)
            return [*events, SlotSet("kb_pending_question", text), SlotSet("kb_last_faq_id", None)]
        dispatcher.utter_message(response="utter_faq_unknown")
        return [*events, SlotSet("kb_last_faq_id", None), SlotSet("kb_last_question", text)]


class ActionAnswerChosenFaq(Action):
    """Answer the entry the customer picked from the clarification buttons."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_answer_chosen_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Look the chosen entry up in the current index and give its answer."""
        faq_id = tracker.get_slot("faq_id") or next(tracker.get_latest_entity_values("faq_id"), None)
        language = tracker.get_slot("language") or "zh"
        question = tracker.get_slot("kb_pending_question")
        try:
            chosen = await asyncio.to_thread(_kb().entry, str(faq_id), language) if faq_id else None
        except KnowledgeBaseError:
            logger.exception("knowledge base unavailable")
            dispatcher.utter_message(response="utter_faq_unavailable")
            return []
        if chosen is None:
            dispatcher.utter_message(response="utter_faq_choice_gone")
            return [SlotSet("kb_pending_question", None), SlotSet("faq_id", None)]
        dispatcher.utter_message(response="utter_faq_answer", answer=chosen.answer, faq_id=chosen.faq_id)
        return [SlotSet("kb_pending_question", None), SlotSet("faq_id", None),
                SlotSet("kb_last_faq_id", chosen.faq_id), SlotSet("kb_last_question", question)]


class ActionRejectFaqChoices(Action):
    """None of the offered questions fits: queue the question for review and offer a person."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_reject_faq_choices"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Record the clarification that failed, then say so."""
        question = tracker.get_slot("kb_pending_question")
        if question:
            try:
                await _record(tracker, question, "ignored_clarification", None)
            except KnowledgeBaseError:
                logger.exception("could not record a rejected clarification")
        dispatcher.utter_message(response="utter_faq_unknown")
        return [SlotSet("kb_pending_question", None)]


class ActionRecordFaqFeedback(Action):
    """Thank the customer for 'helpful'; queue the failed answer for review on 'not helpful'."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_record_faq_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Record and reply."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "feedback_helpful":
            dispatcher.utter_message(response="utter_feedback_thanks")
            return []
        faq_id = tracker.get_slot("kb_last_faq_id")
        question = tracker.get_slot("kb_last_question")
        if question:
            try:
                result: Any = await asyncio.to_thread(_kb().ask, question, tracker.get_slot("language"))
                await _record(tracker, question, "unhelpful", result, failed=faq_id)
            except KnowledgeBaseError:
                logger.exception("could not record unhelpful feedback")
        dispatcher.utter_message(response="utter_feedback_sorry")
        return [SlotSet("kb_last_faq_id", None)]
