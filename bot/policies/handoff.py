"""HandoffPolicy: while a person has the conversation, the customer's words go to them and the bot keeps quiet.

Hand-over is a dialogue state (the `handoff_state` slot), set and cleared by the handoff actions:
- `waiting` / `with_agent`: queue questions get the queue status, "cancel" returns to the bot, "leave a message"
  turns the wait into an offline ticket, and every other message is relayed to the agent (no bot reply);
- `offer_ticket`, `ticket_message`, `ticket_contact`: the offline-ticket exchange;
- `rating`, `nps`, `rating_comment`: the survey after an agent resolved the conversation (1-5 satisfaction, 0-10
  "would you recommend us", an optional comment).
External events from the agent desk (`EXTERNAL_agent_reply`, `EXTERNAL_handoff_ended`, `EXTERNAL_queue_update`,
`EXTERNAL_compensation`) always map to their actions. Outside these states the policy abstains.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.routing import DIALOGUE_ACTS
from kefu.vocabulary import ACTION_END_HANDOFF, ACTION_HANDOFF, HANDOFF_STATE, IN_QUEUE, SURVEY_STATES, HandoffState

STATE_SLOT = HANDOFF_STATE
EXTERNAL = {
    "EXTERNAL_agent_reply": "action_relay_agent_reply",
    "EXTERNAL_handoff_ended": ACTION_END_HANDOFF,
    "EXTERNAL_queue_update": "action_queue_status",
    "EXTERNAL_compensation": "action_tell_compensation",
}
# Every action this policy predicts ends the bot's turn.
HANDOFF_ACTIONS = {
    ACTION_HANDOFF, "action_queue_status", "action_cancel_handoff", "action_relay_to_agent",
    "action_leave_ticket", "action_store_rating", "action_store_nps", "action_store_rating_comment",
    *EXTERNAL.values(),
}
# While rating, a bare digit (typed, not a button) is a score.
SCORE = re.compile(r"^\s*([1-5])\s*(分|星|stars?)?\s*$", re.IGNORECASE)
# Asked how likely they are to recommend us: a bare 0-10 (WeChat has no buttons for it) is the answer.
NPS_SCORE = re.compile(r"^\s*(10|[0-9])\s*(分)?\s*$")
# Intents that mean the customer has moved on from the survey to a new request.
MOVED_ON = {"request_human", "check_order_status", "ask_question", "complain", "greet"}


def handoff_intent(state: Optional[str], intent: str, kb_route: Any) -> str:
    """During a hand-over, Rasa's dialogue act before KB-aware routing turned a long question into ask_question
    ("how much longer until an agent joins, I've waited ages?" is a queue question here, not one for the KB)."""
    routed_from = kb_route.get("routed_from") if isinstance(kb_route, dict) else None
    if state and routed_from in DIALOGUE_ACTS:
        return str(routed_from)
    return intent


def next_action(state: Optional[str], intent: str, text: str, confidence: float = 1.0,
                min_cancel_confidence: float = 0.9) -> Optional[str]:
    """The action for a customer message in a hand-over state, or None to leave the turn to the other policies."""
    if intent in EXTERNAL:
        return EXTERNAL[intent]
    if intent in ("cancel_handoff", "leave_message") and confidence < min_cancel_confidence and state in IN_QUEUE:
        # Leaving the queue by mistake costs the customer their place: when unsure, the agent reads it instead.
        intent = "unsure"
    if state in IN_QUEUE:
        if intent in ("ask_queue_position", "request_human"):
            return "action_queue_status"
        if intent == "cancel_handoff":
            return "action_cancel_handoff"
        if intent == "leave_message" and state == HandoffState.WAITING:
            return "action_leave_ticket"
        return "action_relay_to_agent"
    if state == HandoffState.OFFER_TICKET:
        if intent == "leave_message" or intent == "affirm":
            return "action_leave_ticket"
        if intent in ("cancel_handoff", "deny"):
            return "action_cancel_handoff"
        return None
    if state in (HandoffState.TICKET_MESSAGE, HandoffState.TICKET_CONTACT):
        return "action_cancel_handoff" if intent == "cancel_handoff" else "action_leave_ticket"
    if state == HandoffState.RATING:
        return "action_store_rating" if intent == "rate" or SCORE.match(text or "") else None
    if state == HandoffState.NPS:
        # Anything but a new request is the survey's: a number is the score, words are the comment they meant.
        return None if intent in MOVED_ON and not NPS_SCORE.match(text or "") else "action_store_nps"
    if state == HandoffState.RATING_COMMENT:
        return None if intent in MOVED_ON else "action_store_rating_comment"
    return None


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class HandoffPolicy(Policy):
    """Routes messages during a hand-over, the offline ticket and the satisfaction survey; abstains otherwise."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Above the escalation policy (7) and the rules (6): a customer in the queue is not escalated again."""
        return {"priority": 8, "min_cancel_confidence": 0.9}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the states are set by the handoff actions."""
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> HandoffPolicy:
        """Nothing was persisted."""
        return cls(config, model_storage, resource, execution_context)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """The hand-over action for this message, action_listen after one, or abstain."""
        probabilities = self._default_predictions(domain)
        if tracker.latest_action_name in HANDOFF_ACTIONS:
            probabilities[domain.index_for_action("action_listen")] = 1.0
            return self._prediction(probabilities)
        if tracker.latest_action_name != "action_listen" or tracker.latest_message is None:
            return self._prediction(probabilities)
        state = tracker.get_slot(STATE_SLOT)
        intent_data = tracker.latest_message.intent or {}
        action = next_action(state, handoff_intent(state, intent_data.get("name") or "",
                                                   tracker.latest_message.parse_data.get("kb_route")),
                             tracker.latest_message.text or "",
                             float(intent_data.get("confidence") or 0.0),
                             float(self.config.get("min_cancel_confidence", 0.9)))
        if action is not None and action in domain.action_names_or_texts:
            probabilities[domain.index_for_action(action)] = 1.0
            return self._prediction(probabilities)
        events: List[Any] = []
        if state in SURVEY_STATES or state == HandoffState.OFFER_TICKET:
            # The customer moved on without answering: forget the question so a later "5" is not a rating.
            events.append(SlotSet(STATE_SLOT, None))
        return self._prediction(probabilities, events=events)
