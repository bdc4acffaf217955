"""The sentiment component and the escalation policy, in Rasa's environment, on the built ONNX model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.sentiment_analyzer import SentimentAnalyzer
from bot.policies.escalation import ACTION_ACKNOWLEDGE, ACTION_HANDOFF, EscalationPolicy

ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = ROOT / "models" / "sentiment"
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
NEUTRAL = {"negative": 0.05, "neutral": 0.9, "positive": 0.05}
NEGATIVE = {"negative": 0.92, "neutral": 0.06, "positive": 0.02}


@pytest.fixture(scope="module")
def analyzer() -> SentimentAnalyzer:
    return SentimentAnalyzer({"model_dir": str(MODEL_DIR)})


@pytest.fixture()
def policy(tmp_path: Path) -> EscalationPolicy:
    config = {**EscalationPolicy.get_default_config(), "model_dir": str(MODEL_DIR)}
    return EscalationPolicy(
        config, LocalModelStorage(tmp_path), Resource("escalation"), ExecutionContext(GraphSchema({}), "test")
    )


def _sentiment(analyzer: SentimentAnalyzer, text: str) -> dict[str, Any]:
    message = Message(data={TEXT: text})
    analyzer.process([message])
    result: dict[str, Any] = message.get("sentiment")
    return result


def test_every_message_gets_label_score_and_probabilities(analyzer: SentimentAnalyzer) -> None:
    result = _sentiment(analyzer, "谢谢你们，问题解决了，太棒了！")
    # The model's own "this message shows frustration" output (0–1) rides along with the three-way sentiment.
    assert set(result) == {"label", "score", "probabilities", "frustrated"}
    assert 0 <= result["frustrated"] < 0.5
    assert _sentiment(analyzer, "你们这什么垃圾服务！！！再不退款我就去12315投诉")["frustrated"] > 0.5
    assert set(result["probabilities"]) == {"negative", "neutral", "positive"}
    assert abs(sum(result["probabilities"].values()) - 1) < 0.01
    assert result["label"] == "positive"
    assert _sentiment(analyzer, "this is the worst service I have ever had")["label"] == "negative"
    assert _sentiment(analyzer, "请问怎么修改收货地址？")["label"] == "neutral"
    # Button payloads are not customer wording: neutral, not scored.
    assert _sentiment(analyzer, '/choose_faq{"faq_id": "returns-003"}')["label"] == "neutral"


def test_the_component_is_fast_enough(analyzer: SentimentAnalyzer) -> None:
    _sentiment(analyzer, "warm up")
    start = time.perf_counter()
    for _ in range(20):
        _sentiment(analyzer, "我的快递怎么还没到，都一个星期了")
    # Generous: other processes may share the 2 cores during tests. bench/sentiment_latency.py measures p95.
    assert (time.perf_counter() - start) / 20 < 0.5


def _user(text: str, probs: dict[str, float] | None, intent: str = "ask_question", **metadata: Any) -> UserUttered:
    parse: dict[str, Any] = {"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text}
    if probs is not None:
        parse["sentiment"] = {"label": max(probs, key=lambda k: probs[k]), "score": max(probs.values()),
                              "probabilities": probs}
    return UserUttered(text, parse["intent"], [], parse, metadata=metadata or None)


def _tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("s", [ActionExecuted("action_listen"), *events], DOMAIN.slots)


def _predicted(policy: EscalationPolicy, tracker: DialogueStateTracker) -> str | None:
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if max(prediction.probabilities) == 0:
        return None
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index]


def test_calm_customer_is_left_to_the_other_policies(policy: EscalationPolicy) -> None:
    tracker = _tracker(_user("退款多久到账", NEUTRAL))
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert max(prediction.probabilities) == 0
    # The score is still stored with the conversation.
    assert any(isinstance(e, SlotSet) and e.key == "frustration" for e in prediction.events)


def test_angry_customer_is_handed_over_with_the_reason(policy: EscalationPolicy) -> None:
    tracker = _tracker(_user("垃圾服务！！！我要去12315投诉你们", NEGATIVE, intent="complain"))
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    assert DOMAIN.action_names_or_texts[prediction.max_confidence_index] == ACTION_HANDOFF
    reason = next(e.value for e in prediction.optional_events if isinstance(e, SlotSet) and e.key == "handoff_reason")
    assert "threat" in reason and "insult" in reason


def test_first_negative_turn_is_acknowledged_once(policy: EscalationPolicy) -> None:
    user = _user("my refund still hasn't arrived, really disappointed", NEGATIVE)
    assert _predicted(policy, _tracker(user)) == ACTION_ACKNOWLEDGE
    # After the acknowledgement (which undoes itself) the turn goes to the other policies.
    acknowledged = _tracker(user, ActionExecuted(ACTION_ACKNOWLEDGE), BotUttered("sorry"))
    assert _predicted(policy, acknowledged) is None
    # Nothing is predicted once the bot has answered the turn.
    assert _predicted(policy, _tracker(user, ActionExecuted("action_answer_faq"))) is None


def test_vip_metadata_lowers_the_threshold(policy: EscalationPolicy) -> None:
    mild = {"negative": 0.7, "neutral": 0.25, "positive": 0.05}
    events = [_user("怎么还没发货", mild), ActionExecuted("action_answer_faq"), ActionExecuted("action_listen")]
    regular = _tracker(*events, _user("到底什么时候发货", mild))
    vip = _tracker(*events, _user("到底什么时候发货", mild, customer_tier="vip"))
    assert _predicted(policy, regular) != ACTION_HANDOFF
    assert _predicted(policy, vip) == ACTION_HANDOFF


def test_repeated_fallbacks_escalate(policy: EscalationPolicy) -> None:
    events: list[Event] = []
    for text in ("asdf", "qwer jkl", "zxcv uiop"):
        events += [_user(text, NEUTRAL, intent="nlu_fallback"), ActionExecuted("utter_ask_rephrase"),
                   ActionExecuted("action_listen")]
    events.append(_user("hmm ??", NEUTRAL, intent="nlu_fallback"))
    assert _predicted(policy, _tracker(*events)) == ACTION_HANDOFF


def test_messages_without_stored_sentiment_are_scored_by_the_model(policy: EscalationPolicy) -> None:
    tracker = _tracker(_user("you people are useless, this is the worst service ever, I want my money back", None))
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    sentiment = next(e.value for e in prediction.events if isinstance(e, SlotSet) and e.key == "sentiment")
    assert sentiment == "negative"


def test_desk_events_are_not_customer_turns(policy: EscalationPolicy) -> None:
    external = [UserUttered("EXTERNAL: EXTERNAL_agent_reply", {"name": "EXTERNAL_agent_reply", "confidence": 1.0}),
                ActionExecuted("action_relay_agent_reply"), ActionExecuted("action_listen")]
    turns, _, _ = policy.conversation(_tracker(*external, *external, *external))
    assert turns == []  # three identical desk events are neither a turn nor a "repeated message"


def test_sending_again_what_the_bot_asked_for_again_is_not_repeating_oneself(policy: EscalationPolicy) -> None:
    # The action server was away: Rasa said utter_assistant_unavailable ("请过半分钟再发一次"), so the customer sends
    # the same question again, twice. That is doing as asked; the same words without the apology are repetition.
    sorry = BotUttered("抱歉，系统暂时出了点问题…请过半分钟再发一次",
                       metadata={"utter_action": "utter_assistant_unavailable"})
    asked_again = [_user("退货运费谁出", NEUTRAL), sorry, ActionExecuted("action_listen")] * 2
    tracker = _tracker(*asked_again, _user("退货运费谁出", NEUTRAL))
    turns, _, _ = policy.conversation(tracker)
    assert [t.resend_asked for t in turns] == [True, True, False]
    assert _predicted(policy, tracker) is None
    state, _, _ = policy.assess(tracker)
    assert state is not None and "repeated" not in state.cues

    ignored = [_user("退货运费谁出", NEUTRAL), ActionExecuted("action_answer_faq"), ActionExecuted("action_listen")] * 2
    state, _, _ = policy.assess(_tracker(*ignored, _user("退货运费谁出", NEUTRAL)))
    assert state is not None and state.cues.count("repeated") == 2
