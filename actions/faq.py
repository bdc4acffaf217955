"""FAQ answers from the knowledge base: answer, clarify with buttons, or say honestly it is not known yet.

Every failure (unknown question, unhelpful answer, clarification not taken) is written to the review queue
before the customer is answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from functools import lru_cache
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients import kb as kb_client
from actions.clients.desk import metadata_text
from actions.memory import ANSWER_EVENTS, REPEAT_WITHIN_S, asked_before, remembered, when_text
from kefu.config import ROOT
from kefu.vocabulary import ACTION_ANSWER_FAQ, HANDOFF_REASON, REPEAT_INQUIRY
from knowledge_base.answering import ANSWER, CLARIFY, Candidate, KnowledgeBase, Result
from knowledge_base.errors import KnowledgeBaseError

logger = logging.getLogger(__name__)
ACKNOWLEDGE_ACTION = "action_acknowledge_feeling"
ORDER_LOOKUP_ACTION = "action_check_order_status"




@lru_cache(maxsize=1)
def domain_responses() -> dict[str, Any]:
    """The responses of the domain files (bot/domain/*.yml), read once: Rasa sends the domain with an action call
    only to actions that ask for it (selective domain, endpoints.yml), and the FAQ actions, called for most
    messages, need just two button titles from it."""
    responses: dict[str, Any] = {}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return responses


def domain_text(domain: DomainDict, response: str, language: str) -> str:
    """The text of a domain response in a language (wording lives in the domain, not here): from the domain Rasa
    sent, else from the domain files."""
    variations = (domain.get("responses") or domain_responses()).get(response, [])
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


def entry_title(kb: KnowledgeBase, faq_id: str, language: str) -> str | None:
    """One of the entry's questions, in the customer's language if it has one; None when it is not published."""
    meta = kb.current().meta
    if faq_id not in meta.answers:
        return None
    first = next((q for e, q in zip(meta.entry_ids, meta.questions, strict=True) if e == faq_id), faq_id)
    return _choice_title(kb, faq_id, first, language)


def follow_up_buttons(faq_id: str, language: str) -> list[dict[str, str]]:
    """Up to two questions customers often asked next after this entry (knowledge_base/follow_ups.py), as buttons
    that answer them."""
    kb = kb_client.knowledge_base()
    buttons = []
    for next_id in kb_client.follow_ups_of(faq_id):
        title = entry_title(kb, next_id, language)
        if title:  # an entry unpublished since the count is not offered
            buttons.append({"title": title, "payload": "/choose_faq" + json.dumps({"faq_id": next_id})})
    return buttons


def offer_follow_ups(dispatcher: CollectingDispatcher, faq_id: str, language: str, repeat: list[EventType]) -> None:
    """After an answer, what customers often ask next; not after the repeat notice, which offers a person."""
    buttons = [] if repeat else follow_up_buttons(faq_id, language)
    if buttons:
        dispatcher.utter_message(response="utter_faq_follow_ups", buttons=buttons)


def _entry_buttons(candidates: list[Candidate], language: str) -> list[dict[str, str]]:
    """One button per entry, titled with one of its questions in the customer's language, picking it by id."""
    kb = kb_client.knowledge_base()
    return [{"title": _choice_title(kb, c.faq_id, c.question, language),
             "payload": "/choose_faq" + json.dumps({"faq_id": c.faq_id})} for c in candidates]


def answer_in_other_language(dispatcher: CollectingDispatcher, answer: Candidate, language: str) -> None:
    """Say so before an answer that the entry has only in the other language ("这个问题目前只有英文说明：")."""
    if answer.answer_lang and answer.answer_lang != language:
        dispatcher.utter_message(response="utter_faq_other_language")


async def _record(tracker: Tracker, text: str, kind: str, result: Result | None, failed: str | None = None) -> None:
    """Write one review item (in a worker thread: it embeds and touches the database)."""
    candidates = [c.as_dict() for c in result.candidates[:5]] if result else []
    if result is None:
        # A question the bot offered choices for was asked a message or two ago: its vector (the same in either
        # language) is usually still kept, and embedding it again cost the action server a tenth of its CPU.
        result = kb_client.recent(text)
    vector = result.vector if result else None
    await asyncio.to_thread(kb_client.review_queue().record, text=text, kind=kind, candidates=candidates,
                            failed_faq_id=failed, vector=vector, **_context(tracker))


def routed_from(tracker: Tracker) -> str | None:
    """The intent Rasa classified the latest message as, when KB-aware routing (bot/routing.py) changed it."""
    route = tracker.latest_message.get("kb_route") or {}
    return route.get("routed_from") if isinstance(route, dict) else None


def just_looked_up_an_order(tracker: Tracker) -> bool:
    """True when the bot's last action before the customer's latest message was an order lookup."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return False
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return bool(event.get("name") == ORDER_LOOKUP_ACTION)
    return False


def acknowledged_this_turn(tracker: Tracker) -> bool:
    """True when the escalation policy already acknowledged the customer's feeling after their latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == ACKNOWLEDGE_ACTION:
            return True
    return False


def tier_name(tracker: Tracker) -> str | None:
    """The customer's tier as the shop names it (金卡, vip): the `customer_tier` slot, else the newest message
    metadata that carries one (the shop's backend sets it; a browser cannot, bot/channels/guard.py)."""
    slot = tracker.get_slot("customer_tier")
    if isinstance(slot, str) and slot.strip():
        return slot.strip()
    return metadata_text(tracker, "customer_tier") or metadata_text(tracker, "tier")


def answer_for(tracker: Tracker, candidate: Candidate) -> tuple[str, str | None]:
    """The entry's answer for this customer: their tier's own where the entry has one, else the entry's; and the
    tier whose answer it is (None: the entry's)."""
    tier = tier_name(tracker)
    special = kb_client.knowledge_base().tier_answer(candidate.faq_id, tier, candidate.answer_lang) if tier else None
    return (special, tier) if special else (candidate.answer, None)


async def asked_again(dispatcher: CollectingDispatcher, tracker: Tracker, faq_id: str,
                      language: str) -> list[EventType]:
    """After an answer the customer was also given, or one of the same category, in an earlier conversation of the
    last 7 days: say so and offer a person; a hand-over that follows records the reason `repeat_inquiry`."""
    categories = kb_client.knowledge_base().current().meta.categories
    earlier = asked_before(await remembered(tracker, REPEAT_WITHIN_S, ANSWER_EVENTS), faq_id, categories=categories)
    if earlier is None:
        return []
    dispatcher.utter_message(response="utter_faq_asked_before" if earlier.faq_id == faq_id
                             else "utter_faq_asked_similar", when=when_text(earlier.days_ago(time.time()), language))
    return [SlotSet(HANDOFF_REASON, REPEAT_INQUIRY)]


class ActionAnswerFaq(Action):
    """Answer a question from the knowledge base, offer choices when unsure, admit when it is not known."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return ACTION_ANSWER_FAQ

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Search, decide, record failures, then reply."""
        text = (tracker.latest_message.get("text") or "").strip()
        language = tracker.get_slot("language") or "zh"
        events: list[EventType] = []
        pending = tracker.get_slot("kb_pending_question")
        if routed_from(tracker) == "complain" and not acknowledged_this_turn(tracker):
            # A complaint the KB can answer: the feeling is acknowledged before the answer, as the complaint
            # reply would have done.
            dispatcher.utter_message(response="utter_complaint_heard")
        try:
            result = await asyncio.to_thread(kb_client.ask, text, language)
            if (result.decision != ANSWER and routed_from(tracker) == "check_order_status"
                    and just_looked_up_an_order(tracker)):
                # Right after a lookup, what Rasa heard as about the order ("都三天了，不是说48小时发货吗") is about
                # that order, unless the KB is sure of an answer: back to the order form.
                return [FollowupAction("order_status_form")]
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
            answer_in_other_language(dispatcher, best, language)
            answer, tier = answer_for(tracker, best)
            dispatcher.utter_message(response="utter_faq_answer", answer=answer, faq_id=best.faq_id, answer_tier=tier)
            repeat = await asked_again(dispatcher, tracker, best.faq_id, language)
            offer_follow_ups(dispatcher, best.faq_id, language, repeat)
            return [*events, *repeat, SlotSet("kb_last_faq_id", best.faq_id), SlotSet("kb_last_question", text)]
        if result.decision == CLARIFY:
            buttons = _entry_buttons(result.choices, language)
            buttons.append({"title": domain_text(domain, "utter_faq_none_button", language),
                            "payload": "/reject_choices"})
            dispatcher.utter_message(response="utter_faq_clarify", buttons=buttons)
            return [*events, SlotSet("kb_pending_question", text), SlotSet("kb_last_faq_id", None)]
        if result.related:
            # Not known, and queued all the same; the nearest entries may still be what the customer needs.
            buttons = _entry_buttons(result.related, language)
            buttons.append({"title": domain_text(domain, "utter_faq_person_button", language),
                            "payload": "/request_human"})
            dispatcher.utter_message(response="utter_faq_unknown_related", buttons=buttons)
        else:
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
        text = (tracker.latest_message.get("text") or "").strip()
        if not faq_id and text and not text.startswith("/"):
            # Typed words that merely sounded like picking a choice: a question, not a button press.
            return await ActionAnswerFaq().run(dispatcher, tracker, domain)
        language = tracker.get_slot("language") or "zh"
        question = tracker.get_slot("kb_pending_question")
        try:
            kb = kb_client.knowledge_base()
            chosen = await asyncio.to_thread(kb.entry, str(faq_id), language) if faq_id else None
        except KnowledgeBaseError:
            logger.exception("knowledge base unavailable")
            dispatcher.utter_message(response="utter_faq_unavailable")
            return []
        if chosen is None:
            dispatcher.utter_message(response="utter_faq_choice_gone")
            return [SlotSet("kb_pending_question", None), SlotSet("faq_id", None)]
        answer_in_other_language(dispatcher, chosen, language)
        answer, tier = answer_for(tracker, chosen)
        dispatcher.utter_message(response="utter_faq_answer", answer=answer, faq_id=chosen.faq_id, answer_tier=tier)
        repeat = await asked_again(dispatcher, tracker, chosen.faq_id, language)
        offer_follow_ups(dispatcher, chosen.faq_id, language, repeat)
        return [*repeat, SlotSet("kb_pending_question", None), SlotSet("faq_id", None),
                SlotSet("kb_last_faq_id", chosen.faq_id),
                SlotSet("kb_last_question", question or tracker.get_slot("kb_last_question"))]


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
                result: Any = await asyncio.to_thread(kb_client.ask, question, tracker.get_slot("language"))
                await _record(tracker, question, "unhelpful", result, failed=faq_id)
            except KnowledgeBaseError:
                logger.exception("could not record unhelpful feedback")
        dispatcher.utter_message(response="utter_feedback_sorry")
        return [SlotSet("kb_last_faq_id", None)]


class ActionDeclineOffTopic(Action):
    """Say what the bot can help with when a message is not about the shop, and queue it as off-topic for ops."""

    def name(self) -> str:
        """Rasa's name for this action."""
        return "action_decline_off_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Record (apart from shop questions, so ops can filter it out), then reply."""
        text = (tracker.latest_message.get("text") or "").strip()
        if text and not text.startswith("/"):
            try:
                result = await asyncio.to_thread(kb_client.ask, text, tracker.get_slot("language"))
                await _record(tracker, text, "off_topic", result)
            except KnowledgeBaseError:
                logger.exception("could not queue an off-topic message")
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
