"""The frustration tracker's rules (pure Python, no model): cues, decay, failures, tier, acknowledgement."""

from __future__ import annotations

from sentiment.frustration import FrustrationConfig, Turn, assess, message_cues, single_message_frustration

CFG = FrustrationConfig()
NEUTRAL = {"negative": 0.05, "neutral": 0.9, "positive": 0.05}
NEGATIVE = {"negative": 0.9, "neutral": 0.08, "positive": 0.02}
MILD = {"negative": 0.6, "neutral": 0.35, "positive": 0.05}
HAPPY = {"negative": 0.02, "neutral": 0.08, "positive": 0.9}


def test_cues_in_both_languages() -> None:
    assert "insult" in message_cues("你们这是什么垃圾服务", [])
    assert "insult" in message_cues("this is bullshit", [])
    assert "threat" in message_cues("再不处理我就打12315", [])
    assert "threat" in message_cues("I'll file a chargeback", [])
    assert "threat" in message_cues("去消协投诉你们", [])
    assert "shouting" in message_cues("WHERE IS MY PARCEL", [])
    assert "exclamations" in message_cues("快点！！！", [])
    assert "question_flood" in message_cues("人呢???", [])
    assert "repeated" in message_cues("我的退款呢", ["我的退款呢"])
    assert message_cues("请问退款多久到账？", []) == []
    # Words that merely contain a cue are not the cue ("bsc", "hello", "assess").
    assert message_cues("I study at bsc, hello, please assess my order", []) == []


def test_a_calm_conversation_stays_low() -> None:
    turns = [Turn("你好", NEUTRAL), Turn("退款多久到账？", NEUTRAL), Turn("谢谢！", HAPPY)]
    state = assess(turns, CFG)
    assert state.score < 0.2 and not state.escalate and not state.acknowledge


def test_insult_plus_threat_escalates_at_once() -> None:
    state = assess([Turn("你们这什么垃圾服务！！！我要去12315投诉", NEGATIVE)], CFG)
    assert state.escalate and "threat" in state.cues and "insult" in state.cues


def test_growing_anger_escalates_and_old_messages_fade() -> None:
    turns = [Turn("my parcel is late", MILD), Turn("still nothing, this is annoying", NEGATIVE)]
    assert not assess(turns, CFG).escalate
    turns.append(Turn("WHY IS NOBODY HELPING ME???", NEGATIVE))
    assert assess(turns, CFG).escalate
    # The same anger long ago, followed by calm turns, no longer counts.
    calm = [Turn("still nothing, this is annoying", NEGATIVE)] + [Turn("ok", NEUTRAL)] * 5
    assert assess(calm, CFG).score < 0.1


def test_cues_count_less_in_happy_messages() -> None:
    happy = assess([Turn("收到啦！！！太棒了", HAPPY)], CFG)
    angry = assess([Turn("还没到！！！", NEGATIVE)], CFG)
    assert happy.score < 0.15 < angry.score


def test_repeated_fallbacks_and_unhelpful_answers_add_up() -> None:
    turns = [Turn("asdf", NEUTRAL, failures=["fallback"]), Turn("qwer", NEUTRAL, failures=["fallback"])]
    assert not assess([*turns, Turn("hm", NEUTRAL)], CFG).escalate
    turns.append(Turn("zxcv", NEUTRAL, failures=["fallback"]))
    state = assess([*turns, Turn("hm", NEUTRAL)], CFG)
    assert state.escalate and "3 × fallback" in state.reasons
    unhelpful = [Turn("没用", MILD, intent="feedback_not_helpful", failures=["unhelpful"])] * 3
    assert assess(unhelpful, CFG).escalate


def test_vip_customers_escalate_sooner() -> None:
    turns = [Turn("怎么还没发货", MILD), Turn("到底什么时候发货", MILD)]
    regular, vip = assess(turns, CFG), assess(turns, CFG, vip=True)
    assert not regular.escalate and vip.escalate and "VIP customer" in vip.reasons


def test_acknowledge_once_on_the_first_clearly_negative_message() -> None:
    turns = [Turn("my refund still hasn't arrived, really disappointed", NEGATIVE)]
    assert assess(turns, CFG).acknowledge
    assert not assess(turns, CFG, acknowledged=True).acknowledge
    assert not assess([Turn("where is my refund", NEUTRAL)], CFG).acknowledge


def test_single_message_frustration_is_half_at_the_frustrated_level() -> None:
    assert single_message_frustration(NEGATIVE, "你们这什么垃圾服务！！！我要去12315投诉", CFG) >= 0.5
    assert single_message_frustration(MILD, "包装有点压坏了", CFG) < 0.5
    assert single_message_frustration(NEUTRAL, "退款多久到账", CFG) < 0.1


def test_config_reads_the_policy_entry() -> None:
    cfg = FrustrationConfig.from_mapping({"name": "x", "priority": 7, "threshold": 0.9, "failure_window": "3"})
    assert cfg.threshold == 0.9 and cfg.failure_window == 3


def test_a_message_the_bot_asked_for_again_is_not_a_repeat() -> None:
    cfg = FrustrationConfig()
    asked = [Turn("where is my refund", resend_asked=True), Turn("where is my refund", resend_asked=True),
             Turn("where is my refund")]
    assert "repeated" not in assess(asked, cfg).cues
    ignored = [Turn("where is my refund"), Turn("where is my refund"), Turn("where is my refund")]
    assert assess(ignored, cfg).cues.count("repeated") == 2
