"""EscalationPolicy: turns each conversation's frustration into a change of tone, then a hand-over to a person.

Every customer turn it rebuilds the frustration state from the tracker's events (sentiment on each message, intensity
cues, bot failures, requests for a person, the customer's tier), stores the score in slots, and predicts:
- `action_handoff` when the score crosses the threshold (VIP customers: a lower one), recording why;
- `action_acknowledge_feeling` on the first clearly negative turn, which acknowledges the feeling and then undoes
  itself, so the ordinary rules answer the message as if it had not run;
- nothing otherwise, leaving the turn to the other policies.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from kefu.vocabulary import (
    ACTION_END_HANDOFF,
    ACTION_HANDOFF,
    ASSISTANT_UNAVAILABLE,
    HANDOFF_REASON,
    HANDOFF_STATE,
    PEOPLE_HAVE_IT,
    UNRESOLVED_RESPONSES,
)
from sentiment.frustration import FrustrationConfig, FrustrationState, Turn, assess, customer_tier

logger = logging.getLogger(__name__)

ACTION_ACKNOWLEDGE = "action_acknowledge_feeling"
# Bot turns that mean "I did not understand you" or "I could not answer".
FALLBACK_ACTIONS = {"action_default_fallback", "utter_ask_rephrase", "utter_offer_human", "utter_default"}
UNHELPFUL_INTENTS = {"feedback_not_helpful", "reject_choices"}
# Their replies already apologise or acknowledge the customer's feeling; a second apology would ring hollow.
SELF_ACKNOWLEDGING_INTENTS = {"complain", "request_human", "feedback_not_helpful", "reject_choices"}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class EscalationPolicy(Policy):
    """Predicts the hand-over (or an acknowledgement) from the conversation's frustration state."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """Weights and thresholds: see sentiment.frustration.FrustrationConfig; priority above RulePolicy."""
        return {"priority": 7, "model_dir": "models/sentiment", **FrustrationConfig().__dict__}

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Optional[Any] = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.settings = FrustrationConfig.from_mapping(config)
        self._model: Any = None
        self._model_failed = False
        self._scored: Dict[str, Dict[str, float]] = {}

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the weights live in config.yml."""
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> EscalationPolicy:
        """Nothing was persisted; build from the config."""
        return cls(config, model_storage, resource, execution_context)

    def _sentiment(self, text: str) -> Dict[str, float]:
        """Probabilities for a message that reached the tracker without them (test stories, injected events)."""
        if self._model is None and not self._model_failed:
            from sentiment.inference import SentimentModelMissing, load_model, model_folder

            try:
                self._model = load_model(model_folder(self.config.get("model_dir", "models/sentiment")))
            except SentimentModelMissing as exc:
                self._model_failed = True
                logger.warning("EscalationPolicy scores cues only: %s", exc)
        if self._model is None or not text:
            return {}
        # The policy rebuilds the conversation at every prediction: score each unscored text once per process.
        if text not in self._scored:
            self._scored[text] = dict(self._model.predict_one(text).probs)
        return self._scored[text]

    def conversation(self, tracker: DialogueStateTracker) -> tuple[List[Turn], bool, bool]:
        """The customer's turns since the session started or the last hand-over, whether the feeling was already
        acknowledged, and whether this is the first prediction after the latest message."""
        turns: List[Turn] = []
        acknowledged = False
        turn_start = False
        for event in tracker.events:
            if isinstance(event, SessionStarted):
                turns, acknowledged = [], False
            elif isinstance(event, UserUttered):
                intent = (event.intent or {}).get("name") or ""
                if intent.startswith("EXTERNAL_"):
                    continue  # the agent desk speaking (trigger_intent), not the customer
                probs = ((event.parse_data or {}).get("sentiment") or {}).get("probabilities")
                if probs is None and event.text and not event.text.startswith("/"):
                    probs = self._sentiment(event.text)
                turns.append(Turn(text=event.text or "", probs=dict(probs or {}), intent=intent))
                if intent in UNHELPFUL_INTENTS:
                    turns[-1].failures.append("unhelpful")
                turn_start = True
            elif isinstance(event, ActionExecuted):
                if event.action_name in (ACTION_HANDOFF, ACTION_END_HANDOFF):
                    # A person has taken (or just handled) it: what came before is theirs, not the bot's to count.
                    turns, acknowledged = [], True
                elif event.action_name == ACTION_ACKNOWLEDGE:
                    acknowledged = True
                elif turns and event.action_name in FALLBACK_ACTIONS:
                    turns[-1].failures.append("fallback")
                if event.action_name not in ("action_listen", ACTION_ACKNOWLEDGE):
                    turn_start = False
            elif isinstance(event, BotUttered) and turns:
                said = (event.metadata or {}).get("utter_action")
                if said in UNRESOLVED_RESPONSES:
                    turns[-1].failures.append("unresolved")
                elif said == ASSISTANT_UNAVAILABLE:
                    turns[-1].resend_asked = True  # the reply asks for the message again (bot/server.py)
        return turns, acknowledged, turn_start

    @staticmethod
    def is_vip(tracker: DialogueStateTracker) -> bool:
        """VIP from the `customer_tier` slot or the latest message's channel metadata (tier / customer_tier)."""
        metadata = tracker.latest_message.metadata if tracker.latest_message else {}
        return customer_tier(tracker.get_slot("customer_tier"), metadata) == "vip"

    def assess(self, tracker: DialogueStateTracker) -> tuple[Optional[FrustrationState], List[Turn], bool]:
        """The state after the latest customer message (None when there is none yet)."""
        turns, acknowledged, turn_start = self.conversation(tracker)
        if not turns:
            return None, turns, turn_start
        return assess(turns, self.settings, vip=self.is_vip(tracker), acknowledged=acknowledged), turns, turn_start

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[str, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Hand over, acknowledge, or abstain; always store the score at the start of a customer turn."""
        probabilities = self._default_predictions(domain)
        if tracker.latest_action_name == ACTION_HANDOFF:
            # The hand-over ends the bot's turn, whichever policy chose it (no rule covers a frustration hand-over).
            probabilities[domain.index_for_action("action_listen")] = 1.0
            return self._prediction(probabilities)
        state, turns, turn_start = self.assess(tracker)
        if state is None or not turn_start:
            return self._prediction(probabilities)
        latest = turns[-1]
        # Stored with the conversation every turn, for agents and analytics (these slots do not steer dialogue).
        events: List[Any] = [
            SlotSet("frustration", round(state.score, 3)),
            SlotSet("sentiment", max(latest.probs, key=lambda k: latest.probs[k]) if latest.probs else None),
        ]
        if tracker.get_slot(HANDOFF_STATE) in PEOPLE_HAVE_IT:
            # Already with people (queued, with an agent, leaving a message): keep scoring, do not escalate again.
            return self._prediction(probabilities, events=events)
        if state.escalate and ACTION_HANDOFF in domain.action_names_or_texts:
            probabilities[domain.index_for_action(ACTION_HANDOFF)] = 1.0
            reason = "; ".join(state.reasons) or "frustration"
            logger.info(
                "escalating %s: score %.2f ≥ %.2f (%s)", tracker.sender_id, state.score, state.threshold, reason
            )
            return self._prediction(probabilities, events=events, optional_events=[SlotSet(HANDOFF_REASON, reason)])
        if (
            state.acknowledge
            and latest.intent not in SELF_ACKNOWLEDGING_INTENTS
            and ACTION_ACKNOWLEDGE in domain.action_names_or_texts
        ):
            probabilities[domain.index_for_action(ACTION_ACKNOWLEDGE)] = 1.0
        return self._prediction(probabilities, events=events)
