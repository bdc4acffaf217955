"""HandoffPolicy in Rasa's environment: while people have the conversation, messages go to them."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.handoff import HandoffPolicy, next_action

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))


@pytest.fixture()
def policy(tmp_path: Path) -> HandoffPolicy:
    return HandoffPolicy(HandoffPolicy.get_default_config(), LocalModelStorage(tmp_path), Resource("handoff"),
                         ExecutionContext(GraphSchema({}), "test"))


def _tracker(state: str | None, text: str, intent: str) -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), SlotSet("handoff_state", state),
              UserUttered(text, {"name": intent, "confidence": 0.9})]
    return DialogueStateTracker.from_events("s", events, DOMAIN.slots)


def _predicted(policy: HandoffPolicy, tracker: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


@pytest.mark.parametrize(
    ("state", "text", "intent", "action"),
    [
        ("waiting", "我的退款到底什么时候到", "complain", "action_relay_to_agent"),
        ("with_agent", "订单号 KF20231123018", "check_order_status", "action_relay_to_agent"),
        ("waiting", "asdfgh", "nlu_fallback", "action_relay_to_agent"),
        ("waiting", "还要等多久?", "ask_queue_position", "action_queue_status"),
        ("waiting", "转人工", "request_human", "action_queue_status"),
        ("with_agent", "不用人工了", "cancel_handoff", "action_cancel_handoff"),
        ("waiting", "我要留言", "leave_message", "action_leave_ticket"),
        ("offer_ticket", "/leave_message", "leave_message", "action_leave_ticket"),
        ("offer_ticket", "/cancel_handoff", "cancel_handoff", "action_cancel_handoff"),
        ("ticket_message", "退款没到，电话13800138000", "complain", "action_leave_ticket"),
        ("ticket_contact", "me@example.com", "nlu_fallback", "action_leave_ticket"),
        ("rating", '/rate{"csat_score": "4"}', "rate", "action_store_rating"),
        ("rating", "5", "nlu_fallback", "action_store_rating"),
        ("rating_comment", "the agent was great", "thank", "action_store_rating_comment"),
        ("nps", "9", "nlu_fallback", "action_store_nps"),
        ("nps", "10分", "nlu_fallback", "action_store_nps"),
        ("nps", "", "rate", "action_store_nps"),
        ("nps", "she was kind", "thank", "action_store_nps"),
        ("nps", "where is my order", "check_order_status", None),
        (None, "hi", "EXTERNAL_agent_reply", "action_relay_agent_reply"),
        ("with_agent", "", "EXTERNAL_handoff_ended", "action_end_handoff"),
        ("waiting", "", "EXTERNAL_queue_update", "action_queue_status"),
        (None, "", "EXTERNAL_compensation", "action_tell_compensation"),
    ],
)
def test_hand_over_states_route_messages(policy: HandoffPolicy, state: str | None, text: str, intent: str,
                                         action: str) -> None:
    assert _predicted(policy, _tracker(state, text, intent)) == action


def test_outside_a_hand_over_it_abstains(policy: HandoffPolicy) -> None:
    assert _predicted(policy, _tracker(None, "退货怎么办", "ask_question")) is None
    assert next_action(None, "ask_queue_position", "还要等多久") is None  # the rules answer "not in the queue"


def test_a_customer_who_moves_on_leaves_the_survey(policy: HandoffPolicy) -> None:
    prediction = policy.predict_action_probabilities(_tracker("rating", "我的订单到哪了", "check_order_status"), DOMAIN)
    assert max(prediction.probabilities) == 0
    assert [(e.key, e.value) for e in prediction.events] == [("handoff_state", None)]


def test_after_a_hand_over_action_the_bot_listens(policy: HandoffPolicy) -> None:
    tracker = _tracker("waiting", "hello", "greet")
    tracker.update(ActionExecuted("action_relay_to_agent"))
    assert _predicted(policy, tracker) == "action_listen"


def test_an_unsure_cancel_does_not_cost_the_customer_their_place(policy: HandoffPolicy) -> None:
    events = [ActionExecuted("action_listen"), SlotSet("handoff_state", "waiting"),
              UserUttered("我等着呢", {"name": "cancel_handoff", "confidence": 0.62})]
    tracker = DialogueStateTracker.from_events("s", events, DOMAIN.slots)
    assert _predicted(policy, tracker) == "action_relay_to_agent"


def test_in_a_hand_over_rasas_act_counts_even_when_routing_made_it_a_question() -> None:
    from bot.policies.handoff import handoff_intent

    rerouted = {"intent": "ask_question", "routed_from": "ask_queue_position", "reason": "a long question"}
    assert handoff_intent("waiting", "ask_question", rerouted) == "ask_queue_position"
    assert next_action("waiting", handoff_intent("waiting", "ask_question", rerouted),
                       "how much longer until an agent joins, I have waited ages?") == "action_queue_status"
    assert handoff_intent(None, "ask_question", rerouted) == "ask_question"  # outside a hand-over: the KB's
    assert handoff_intent("waiting", "ask_question", {"routed_from": "complain"}) == "ask_question"
