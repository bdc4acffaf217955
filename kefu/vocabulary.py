"""Names shared across Rasa's environment and the app's: slots, hand-over states, actions and responses.

Dependency-free on purpose: `bot/` (Python 3.10, Rasa's venv) and the app (Python 3.11) both import it, so a name
is spelled once. The domain files (bot/domain/*.yml) are the source of truth; these constants mirror them.
"""

from __future__ import annotations

from enum import Enum


class HandoffState(str, Enum):
    """Values of the `handoff_state` slot: where a hand-over to people stands (unset: the bot has the customer)."""

    WAITING = "waiting"  # in the agents' queue
    WITH_AGENT = "with_agent"  # an agent claimed the conversation
    OFFER_TICKET = "offer_ticket"  # nobody could take it: offered to leave a message
    TICKET_MESSAGE = "ticket_message"  # asked for the message
    TICKET_CONTACT = "ticket_contact"  # asked for the contact details
    RATING = "rating"  # the agent resolved it: asked for a 1-5 rating
    NPS = "nps"  # asked how likely they are to recommend us, 0-10
    RATING_COMMENT = "rating_comment"  # asked for an optional comment


HANDOFF_STATE = "handoff_state"  # the slot
HANDOFF_REASON = "handoff_reason"  # the slot holding why the bot handed over
IN_QUEUE = frozenset({HandoffState.WAITING.value, HandoffState.WITH_AGENT.value})
TICKET_STATES = frozenset({HandoffState.OFFER_TICKET.value, HandoffState.TICKET_MESSAGE.value,
                           HandoffState.TICKET_CONTACT.value})
SURVEY_STATES = frozenset({HandoffState.RATING.value, HandoffState.NPS.value, HandoffState.RATING_COMMENT.value})
# States in which people, not the bot, own the conversation (the escalation policy stays out).
PEOPLE_HAVE_IT = IN_QUEUE | TICKET_STATES

# Actions whose runs the dashboard and the escalation policy look for in the transcript.
ACTION_SESSION_START = "action_session_start"
# Rasa's own reply when the action server is away (bot/server.py): it asks the customer to send the message again.
ASSISTANT_UNAVAILABLE = "utter_assistant_unavailable"
# The bot's responses that give an FAQ entry's answer (they carry the entry's id as metadata `faq_id`).
FAQ_ANSWER_RESPONSES = ("utter_faq_answer", "utter_faq_other_language")
# The hand-over reason when a customer asked the same question again within 7 days (actions/memory.py).
REPEAT_INQUIRY = "repeat_inquiry"
ACTION_ANSWER_FAQ = "action_answer_faq"
ACTION_HANDOFF = "action_handoff"
ACTION_END_HANDOFF = "action_end_handoff"

# The knowledge base's reply to a question, by the response the FAQ action uttered.
FAQ_DECISIONS = {"utter_faq_answer": "answer", "utter_faq_clarify": "clarify", "utter_faq_unknown": "unresolved",
                 "utter_faq_unknown_related": "unresolved"}
UNRESOLVED_RESPONSES = frozenset(name for name, decision in FAQ_DECISIONS.items() if decision == "unresolved")

# Escalation status of a hand-over no agent could take (none online, or out of service hours), and the reason the
# dashboard counts it under.
OFFLINE_STATUS = "offline"
OFFLINE_REASON = "no agent available"

# What Rasa logs once every NLU worker has loaded (bot/nlu_pool.py); it answers once the first has, and the
# supervisor's wait_for_nlu_workers (tests, benchmarks) waits for this line.
NLU_ALL_LOADED = "every NLU worker has loaded"
