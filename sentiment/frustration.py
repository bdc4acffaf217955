"""The frustration tracker: conversation-level state from sentiment, intensity cues, bot failures and tier.

Pure Python (no numpy, no Rasa), so the Rasa policy and the app's CLI score a conversation identically. The policy
rebuilds the state from the tracker's events every turn, so nothing lives only in one process's memory.
Weights and thresholds come from the escalation policy's entry in `config.yml`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

# Cue lexicons. Matching is on NFKC-normalised lower-case text, so full-width and traditional forms are covered
# where listed. Chinese needs no word boundaries; English terms use \b.
_ZH_INSULTS = [
    "垃圾", "骗子", "坑人", "坑爹", "有病", "脑残", "智障", "傻逼", "傻b", "妈的", "他妈", "尼玛", "去死", "滚蛋",
    "废物", "混蛋", "王八", "狗屎", "黑店", "无良", "恶心", "骗钱", "流氓", "骗人", "騙子", "什么玩意",
]
_EN_INSULTS = [
    r"sb", r"tmd", r"f+u+c+k\w*", r"f\*+\w*", r"wtf", r"bs", r"bullshit", r"shit\w*", r"crap", r"scam\w*",
    r"idiot\w*", r"stupid",
    r"useless", r"pathetic", r"garbage", r"trash", r"ridiculous", r"incompetent", r"damn\w*", r"hell",
    # "this is a joke", not "tell me a joke"
    r"(?:is|are|such|what|total|complete|absolute) (?:a )?joke",
    r"thie(?:f|ves)", r"liars?", r"rip[- ]?off", r"worst",
]
_ZH_THREATS = [
    "12315", "消协", "消费者协会", "差评", "曝光", "投诉到", "举报", "工商", "市场监管", "媒体", "律师", "起诉", "法院",
    "黑猫投诉", "微博", "315", "一星", "報警", "报警", "维权",
]
_EN_THREATS = [
    r"chargeback", r"charge ?back", r"lawyer", r"attorney", r"sue", r"suing", r"court", r"bbb", r"better business",
    r"report (?:you|this|them)", r"1[- ]star", r"one[- ]star", r"bad review", r"(?:twitter|social media|reddit)",
    r"consumer (?:protection|council)", r"police", r"dispute",
]
# Exasperation: the customer says outright that patience is running out.
_ZH_EXASPERATION = [
    "受够了", "无语", "服了", "气死", "离谱", "过分", "什么破", "搞什么", "怎么回事", "醉了", "栓q", "崩溃", "忍无可忍",
    "太差", "差劲", "失望透顶", "凭什么", "有没有人", "人呢", "搞笑", "烦死", "吃屎", "算了吧", "要疯了", "受不了",
    "無語", "氣死", "離譜", "過分", "搞什麼", "怎麼回事", "呵呵",
]
_EN_EXASPERATION = [
    r"unacceptable", r"fed up", r"sick of", r"losing my mind", r"are you kidding", r"kidding me", r"what the hell",
    r"nobody (?:answers|helps|replies|cares)", r"is anyone (?:there|listening)", r"waste of (?:time|money)",
    r"never again", r"absurd", r"outrageous", r"disgusting", r"terrible", r"awful", r"horrible", r"seriously",
    r"can't believe", r"cannot believe", r"enough is enough", r"had it", r"done with",
]
_ZH_REPEAT_CHASE = [
    "第二次", "第三次", "第四次", "又", "还没", "还是没", "到底", "究竟", "多少次", "一直", "几遍", "几次了",
    "快点", "催", "几天了", "都三天", "都两天", "都一周", "等了", "還沒", "到底",
]
_EN_REPEAT_CHASE = [
    r"again", r"still", r"(?:second|third|fourth|3rd|2nd|4th) time", r"how many times", r"already told",
    r"keep (?:asking|telling)", r"for days", r"for weeks", r"been \d+ (?:days|weeks)", r"speed (?:this|it) up",
    r"hurry", r"asap", r"any update",
]


# Short replies customers naturally repeat ("ok", "好的"): saying them twice is not a sign of frustration.
_PLAIN_REPLIES = {
    "ok", "okay", "ok.", "yes", "no", "yep", "thanks", "thank you", "好", "好的", "好的。", "是", "是的", "嗯", "嗯嗯",
    "谢谢", "对", "对的", "可以", "行", "不用", "没有", "hi", "hello", "你好", "在吗",
}


def _compile(zh: list[str], en: list[str]) -> re.Pattern[str]:
    # A number cue (12315, 315) inside a longer number is an order or phone number, not a threat.
    parts = [rf"(?<!\d){re.escape(w)}(?!\d)" if w.isdigit() else re.escape(w) for w in zh]
    parts += [rf"\b{w}\b" for w in en]
    return re.compile("|".join(parts), re.IGNORECASE)


INSULT = _compile(_ZH_INSULTS, _EN_INSULTS)
THREAT = _compile(_ZH_THREATS, _EN_THREATS)
CHASE = _compile(_ZH_REPEAT_CHASE, _EN_REPEAT_CHASE)
EXASPERATION = _compile(_ZH_EXASPERATION, _EN_EXASPERATION)


# Tiers that escalate at the lower (VIP) threshold and get the VIP boost in the agents' queue.
VIP_TIERS = {"vip", "gold", "platinum"}


def customer_tier(slot: object, metadata: dict[str, object] | None) -> str:
    """"vip" or "regular", from the `customer_tier` slot, else the message metadata (customer_tier or tier)."""
    meta = metadata or {}
    tier = slot or meta.get("customer_tier") or meta.get("tier")
    return "vip" if str(tier or "").lower() in VIP_TIERS else "regular"


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """NFKC, lower case, whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip().lower()


@dataclass
class FrustrationConfig:
    """Weights and thresholds; the escalation policy's entry in config.yml overrides any of them."""

    # Sentiment: a message adds weight × max(0, p(negative) − p(positive)).
    sentiment_weight: float = 0.45
    # Intensity cues, each added once per message when present.
    exclamation_weight: float = 0.12
    question_flood_weight: float = 0.10
    shouting_weight: float = 0.15
    # Per earlier identical message among the last three: the third "where is my refund" counts double.
    repeat_weight: float = 0.35
    insult_weight: float = 0.40
    # A threat to go to a regulator, a lawyer, the bank or the public hands over on its own.
    threat_weight: float = 0.75
    chase_weight: float = 0.15
    # The model's own "this message shows frustration" output (learnt from hand-labelled chat), times this.
    frustrated_weight: float = 0.45
    exasperation_weight: float = 0.20
    # Recent messages weigh more: the conversation score is message + decay × previous score.
    decay: float = 0.6
    # Bot failures and explicit requests, added to the conversation score while they are recent.
    fallback_weight: float = 0.18
    unresolved_weight: float = 0.10
    unhelpful_weight: float = 0.20
    human_request_weight: float = 0.35
    # Failure signals older than this many customer turns no longer count.
    failure_window: int = 4
    # Hand over at this score; VIP customers at a lower one.
    threshold: float = 0.75
    vip_threshold: float = 0.45
    # Acknowledge the feeling once, on the first message whose own score reaches this.
    acknowledge_threshold: float = 0.30
    # A message whose own score reaches this shows frustration by itself (reported as 0.5 by `sentiment predict`).
    # Below the hand-over threshold on purpose: one frustrated message is acknowledged; it takes more to hand over.
    frustrated_level: float = 0.50

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> FrustrationConfig:
        """Build from a config.yml policy entry; unknown keys (name, priority) are ignored."""
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {
            k: int(v) if k == "failure_window" else float(v) for k, v in (data or {}).items() if k in names
        }
        return cls(**values)


@dataclass
class Turn:
    """One customer message with what the bot did after it."""

    text: str
    # Calibrated probabilities {negative, neutral, positive}; empty when unknown (neutral is assumed).
    probs: dict[str, float] = field(default_factory=dict)
    # The model's probability that the message shows frustration; None when the model has no such output.
    frustrated: float | None = None
    intent: str = ""
    # Bot outcome of this turn: "fallback", "unresolved", "unhelpful" or "" (set on the turn it concerns).
    failures: list[str] = field(default_factory=list)
    # The bot could not handle it (its action server was away) and asked the customer to send it again: sending
    # it again is doing as asked, not repeating oneself.
    resend_asked: bool = False


@dataclass
class FrustrationState:
    """The tracker's verdict after the latest message."""

    score: float
    message_score: float
    threshold: float
    escalate: bool
    acknowledge: bool
    reasons: list[str]
    cues: list[str]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (stored in slots and shown to agents)."""
        return {
            "score": round(self.score, 3), "message_score": round(self.message_score, 3),
            "threshold": self.threshold, "escalate": self.escalate, "reasons": self.reasons, "cues": self.cues,
        }


def message_cues(text: str, previous: list[str]) -> list[str]:
    """The intensity cues present in one message (`previous`: earlier customer messages, normalised)."""
    norm, typographic, words = _text_cues(text or "")
    repeated: list[str] = []
    if len(norm) >= 2 and norm not in _PLAIN_REPLIES:
        repeated = ["repeated"] * previous[-3:].count(norm)
    return [*typographic, *repeated, *words]


@lru_cache(maxsize=8192)
def _text_cues(raw: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The normalised text, and the cues that depend on the text alone (typographic ones, then words): the
    escalation policy re-reads every turn of a conversation at each prediction, so each text is read once."""
    norm = normalise(raw)
    typographic: list[str] = []
    # Three or more "!", or "?!" in any order.
    if len(re.findall(r"[!！]", raw)) >= 3 or re.search(r"[?？][!！]|[!！][?？]", raw):
        typographic.append("exclamations")
    if len(re.findall(r"[?？]", raw)) >= 3:
        typographic.append("question_flood")
    letters = [c for c in raw if c.isascii() and c.isalpha()]
    if len(letters) >= 8 and sum(c.isupper() for c in letters) / len(letters) >= 0.7:
        typographic.append("shouting")
    words = [name for name, pattern in (("insult", INSULT), ("threat", THREAT), ("chasing", CHASE),
                                        ("exasperation", EXASPERATION)) if pattern.search(norm)]
    return norm, tuple(typographic), tuple(words)


def message_score(turn: Turn, previous: list[str], cfg: FrustrationConfig) -> tuple[float, list[str]]:
    """How much frustration this one message shows, 0–1, and the cues behind it."""
    cues = message_cues(turn.text, previous)
    weights = {
        "exclamations": cfg.exclamation_weight, "question_flood": cfg.question_flood_weight,
        "shouting": cfg.shouting_weight, "repeated": cfg.repeat_weight, "insult": cfg.insult_weight,
        "threat": cfg.threat_weight, "chasing": cfg.chase_weight, "exasperation": cfg.exasperation_weight,
    }
    negativity = max(0.0, turn.probs.get("negative", 0.0) - turn.probs.get("positive", 0.0))
    # Punctuation and capitals amplify a negative message and count for less in a neutral or happy one ("wow!!!"
    # is not anger); words (insults, threats, chasing, repetition) count fully whatever the model thinks.
    typographic = {"exclamations", "question_flood", "shouting"}
    cue_total = sum(weights[c] * (0.5 + negativity if c in typographic else 1.0) for c in cues)
    learnt = cfg.frustrated_weight * (turn.frustrated or 0.0)
    score = cfg.sentiment_weight * negativity + cue_total + learnt
    return min(1.0, score), cues


def assess(
    turns: list[Turn], cfg: FrustrationConfig, vip: bool = False, acknowledged: bool = False
) -> FrustrationState:
    """The conversation's state after its last turn."""
    score = 0.0
    last_message = 0.0
    last_cues: list[str] = []
    previous: list[str] = []
    for turn in turns:
        last_message, last_cues = message_score(turn, previous, cfg)
        score = last_message + cfg.decay * score
        if not turn.resend_asked:
            previous.append(normalise(turn.text))
    recent = turns[-cfg.failure_window :]
    failure_weights = {
        "fallback": cfg.fallback_weight, "unresolved": cfg.unresolved_weight, "unhelpful": cfg.unhelpful_weight,
    }
    counts = {kind: sum(t.failures.count(kind) for t in recent) for kind in failure_weights}
    human_requests = sum(t.intent == "request_human" for t in recent)
    failure_score = sum(failure_weights[k] * n for k, n in counts.items())
    # Consecutive fallbacks hurt more than scattered ones: the customer is stuck. The latest message has no outcome
    # yet, so the streak is the run of failed turns just before it.
    streak = 0
    for turn in reversed(turns[:-1]):
        if "fallback" not in turn.failures:
            break
        streak += 1
    if streak >= 2:
        failure_score += cfg.fallback_weight * (streak - 1)
    total = min(1.0, score + failure_score + cfg.human_request_weight * human_requests)
    threshold = cfg.vip_threshold if vip else cfg.threshold
    reasons: list[str] = []
    if score >= 0.3:
        reasons.append("negative sentiment" if not last_cues else "negative sentiment: " + ", ".join(last_cues))
    reasons += [f"{n} × {k}" for k, n in counts.items() if n]
    if human_requests:
        reasons.append(f"{human_requests} × asked for a person")
    if vip:
        reasons.append("VIP customer")
    return FrustrationState(
        score=total, message_score=last_message, threshold=threshold, escalate=total >= threshold,
        acknowledge=not acknowledged and last_message >= cfg.acknowledge_threshold and total < threshold,
        reasons=reasons, cues=last_cues,
    )


def single_message_frustration(
    probs: dict[str, float], text: str, cfg: FrustrationConfig, frustrated: float | None = None
) -> float:
    """What the tracker scores for this message alone, as a fresh conversation's first, scaled so that 0.5 is
    `frustrated_level` (≥ 0.5: the message by itself shows frustration)."""
    state = assess([Turn(text=text, probs=probs, frustrated=frustrated)], cfg)
    return round(min(1.0, 0.5 * state.score / cfg.frustrated_level), 4)
