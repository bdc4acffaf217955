"""The handoff desk as the actions see it: the shared store and the summary an agent reads."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from desk.errors import DeskUnavailableError
from desk.service import shared_store
from kefu.order_numbers import find_order_number

__all__ = ["DeskUnavailableError", "customer_messages", "desk_down", "last_question", "sentiment_trend",
           "shared_store", "summary", "told_agent"]

logger = logging.getLogger(__name__)
# Intents that say nothing about the customer's problem, so they are skipped for "detected intent".
CONTENTLESS_INTENTS = {"request_human", "affirm", "deny", "greet", "thank", "goodbye", "nlu_fallback",
                       "ask_queue_position", "cancel_handoff", "leave_message", "rate"}
SUMMARY_MESSAGES = 10
# The bot's responses an agent wants counted in the hand-over's brief, by what they mean for the customer.
TRIED = {"utter_faq_answer": "faq_answers", "utter_faq_other_language": "faq_answers",
         "utter_faq_clarify": "clarifications", "utter_faq_unknown": "unresolved",
         "utter_faq_unknown_related": "unresolved", "utter_order_not_found": "order_lookups"}
# A sentiment change (positive minus negative, -1 … 1) this large between the first and last messages is a trend.
MOOD_CHANGE = 0.3
MAX_NAME = 64


def desk_down(dispatcher: CollectingDispatcher, tracker: Tracker, exc: Exception, response: str) -> None:
    """Log the desk's outage and give the customer the honest reply for the step that did not happen."""
    logger.error("desk unavailable in %s's conversation: %s", tracker.sender_id, exc)
    dispatcher.utter_message(response=response)


def _sentiment(parse_data: dict[str, Any]) -> dict[str, Any] | None:
    sentiment = parse_data.get("sentiment") or {}
    if not sentiment.get("label"):
        return None
    return {"label": sentiment["label"], "score": round(float(sentiment.get("score") or 0.0), 3)}


def _at(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def customer_messages(tracker: Tracker, since_action: str | None = None) -> list[dict[str, Any]]:
    """The customer's messages (typed text, not button payloads or desk events), oldest first; with
    `since_action`, only those after the latest run of that action."""
    out: list[dict[str, Any]] = []
    for event in tracker.events:
        if since_action and event.get("event") == "action" and event.get("name") == since_action:
            out = []
        if event.get("event") != "user":
            continue
        text = event.get("text") or ""
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name") or ""
        if not text or text.startswith("/") or intent.startswith("EXTERNAL_"):
            continue
        # A file the customer uploaded for the agent travels as the token in the message's metadata.
        token = (event.get("metadata") or {}).get("attachment")
        out.append({"text": text, "intent": intent, "sentiment": parse.get("sentiment") or {},
                    "message_id": event.get("message_id"), "timestamp": event.get("timestamp"),
                    "attachment": token if isinstance(token, str) else None})
    return out


def sentiment_trend(messages: list[dict[str, Any]]) -> list[float]:
    """Positive minus negative probability of each customer message, oldest first (-1 … 1)."""
    trend = []
    for m in messages:
        probs = m["sentiment"].get("probabilities") or {}
        if probs:
            trend.append(round(float(probs.get("positive", 0.0)) - float(probs.get("negative", 0.0)), 3))
    return trend


def summary(tracker: Tracker, kb_candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """What an agent reads first: the last messages with sentiment, the detected intent, KB candidates, the trend."""
    last: list[dict[str, Any]] = []
    for event in tracker.events:
        kind = event.get("event")
        if kind == "user" and event.get("text") and not str(event.get("text")).startswith("/"):
            last.append({"role": "customer", "text": event["text"],
                         "sentiment": _sentiment(event.get("parse_data") or {}), "at": _at(event.get("timestamp"))})
        elif kind == "bot" and event.get("text"):
            last.append({"role": "bot", "text": event["text"], "sentiment": None, "at": _at(event.get("timestamp"))})
    messages = customer_messages(tracker)
    intents = [m["intent"] for m in messages if m["intent"] and m["intent"] not in CONTENTLESS_INTENTS]
    trend = sentiment_trend(messages)
    return {"last_messages": last[-SUMMARY_MESSAGES:], "intent": intents[-1] if intents else None,
            "kb_candidates": kb_candidates, "sentiment_trend": trend,
            "customer_name": customer_name(tracker), "customer_id": metadata_text(tracker, "customer_id", numbers=True),
            "order_number": order_number(tracker, messages),
            "brief": {"wants": last_question(tracker), "tried": bot_tried(tracker), "mood": mood(trend)}}


def bot_tried(tracker: Tracker) -> dict[str, int]:
    """What the bot already did for the customer, by kind (FAQ answers, choices offered, "not yet", order look-ups),
    from the responses it sent (Rasa records each one's name with the message)."""
    tried: dict[str, int] = {}
    for event in tracker.events:
        if event.get("event") != "bot":
            continue
        response = str((event.get("metadata") or {}).get("utter_action") or "")
        kind = TRIED.get(response) or ("order_lookups" if response.startswith("utter_order_status_") else None)
        if kind:
            tried[kind] = tried.get(kind, 0) + 1
    return tried


def mood(trend: list[float]) -> str | None:
    """"worse", "better" or "steady": the customer's last two messages against their first two (None: too few)."""
    if len(trend) < 2:
        return None
    head, tail = trend[:2], trend[-2:]
    change = sum(tail) / len(tail) - sum(head) / len(head)
    return "worse" if change <= -MOOD_CHANGE else "better" if change >= MOOD_CHANGE else "steady"


def customer_name(tracker: Tracker) -> str | None:
    """The name the shop's page or backend gave with the customer's messages (metadata `customer_name`), if any."""
    return metadata_text(tracker, "customer_name")


def told_agent(tracker: Tracker) -> str | None:
    """The agent the customer was last told is with them (the bot's hand-over metadata), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            handoff = (event.get("metadata") or {}).get("handoff")
            if isinstance(handoff, dict) and handoff.get("state"):
                agent = handoff.get("agent")
                return agent if handoff["state"] == "with_agent" and isinstance(agent, str) else None
    return None


def metadata_text(tracker: Tracker, key: str, numbers: bool = False) -> str | None:
    """The newest value of a text the shop's page or backend sends with the customer's messages (`customer_name`,
    `customer_id`: the shop's own account id, which links the customer's conversations across channels)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            value = (event.get("metadata") or {}).get(key)
            if (isinstance(value, str) or (numbers and isinstance(value, int) and not isinstance(value, bool))) \
                    and str(value).strip():
                # Shown to agents and put into their replies: one line of printable text, kept short.
                return "".join(ch for ch in str(value).strip() if ch.isprintable())[:MAX_NAME] or None
    return None


def order_number(tracker: Tracker, messages: list[dict[str, Any]]) -> str | None:
    """The order the conversation is about: the order form's slot, else the last order number the customer typed."""
    slot = tracker.get_slot("order_number")
    if isinstance(slot, str) and find_order_number(slot):
        return find_order_number(slot)
    for m in reversed(messages):
        number = find_order_number(m["text"])
        if number:
            return number
    return None


def last_question(tracker: Tracker) -> str | None:
    """The customer's last message that says what the problem is (for the KB candidates)."""
    for m in reversed(customer_messages(tracker)):
        if m["intent"] not in CONTENTLESS_INTENTS:
            return str(m["text"])
    return None
