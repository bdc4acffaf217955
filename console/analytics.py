"""The service dashboard: figures computed from Rasa's tracker events, the desk tables and the review queue.

Every figure carries the sentence that defines it; the ops console prints it verbatim next to the number.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from desk.store import CompensationFacts, DeskStore, EscalationFacts, RatingFacts
from kefu.pii import mask
from kefu.tracker_events import TrackerEvents
from kefu.vocabulary import ACTION_ANSWER_FAQ as FAQ_ACTION
from kefu.vocabulary import ACTION_HANDOFF as HANDOFF_ACTION
from kefu.vocabulary import ACTION_SESSION_START as SESSION_START
from kefu.vocabulary import FAQ_ANSWER_RESPONSES, OFFLINE_REASON, OFFLINE_STATUS
from kefu.vocabulary import FAQ_DECISIONS as DECISIONS
from knowledge_base.review import ReviewReader, ReviewRow
from knowledge_base.store import KnowledgeStore

LABELS = ("negative", "neutral", "positive")
DEFAULT_LANGUAGE = "zh"  # what actions/ assume when the language slot was never set
# Events this long before the range are read too, so a conversation already going at `start` is seen to have
# started before it (Rasa splits sessions after 60 idle minutes; a day-long session is not expected).
LOOKBACK = timedelta(days=1)
HOURLY_UP_TO = timedelta(hours=48)
TOP_CLUSTERS = 10
_HANDOVERS = "hand-overs created in the range (each filtered by its own channel and language)"
FIGURES: tuple[tuple[str, str, str, str], ...] = (
    ("conversations", "Conversations", "count",
     "Number of conversations whose first customer message (typed, not a button click) was sent in the range, "
     "each counted under the channel of that message and the last language the bot set in it; a conversation is "
     "one Rasa session of one customer, and a new one starts after 60 idle minutes."),
    ("containment_rate", "Containment rate", "percent",
     "Share of those conversations in which the bot never ran action_handoff, so the customer was served by the "
     "bot alone."),
    ("escalation_rate", "Escalation rate", "percent",
     "Share of those conversations in which the bot ran action_handoff to pass the customer to people, whether or "
     "not an agent was available."),
    ("faq_questions", "FAQ questions", "count",
     "Runs of action_answer_faq in those conversations that replied with an answer, a choice of questions or "
     "'not known' (runs that found the knowledge base unavailable are left out)."),
    ("answer_rate", "Answered", "percent",
     "Share of those FAQ questions the bot answered directly (its reply was utter_faq_answer)."),
    ("clarify_rate", "Clarified", "percent",
     "Share of those FAQ questions where the bot offered a choice of questions instead (utter_faq_clarify)."),
    ("unresolved_rate", "Unresolved", "percent",
     "Share of those FAQ questions the bot said it could not answer (utter_faq_unknown, with or without related "
     "questions)."),
    ("negative_share", "Negative messages", "percent",
     "Share of the customers' typed messages in those conversations (button clicks left out) with a sentiment "
     "label that the sentiment model labelled negative."),
    ("csat_average", "Satisfaction (CSAT)", "score",
     "Mean of the 1–5 ratings customers gave in the range; a rating is filtered by the channel and language of "
     "its hand-over or, without one, of the customer's latest conversation started before it (looking back to a "
     "day before the range); a rating whose conversation is not found counts only when no filter is set."),
    ("csat_responses", "Ratings", "count",
     "Number of 1–5 ratings customers gave in the range, filtered as for the average."),
    ("first_response_s", "First response", "seconds",
     f"Median seconds from creation to the first message an agent wrote, over the {_HANDOVERS} that have "
     "one."),
    ("queue_wait_s", "Queue wait", "seconds",
     f"Median seconds from creation to claim, over the {_HANDOVERS} that an agent claimed."),
    ("queue_wait_p90_s", "Queue wait (90th percentile)", "seconds",
     "90th percentile (linear interpolation) of the same creation-to-claim times: 9 in 10 claimed hand-overs "
     "waited at most this long."),
    ("handle_time_s", "Handle time", "seconds",
     f"Median seconds from claim to resolution, over the {_HANDOVERS} that an agent resolved (cancelled ones are "
     "left out)."),
    ("sla_breaches", "SLA breaches", "count",
     f"Deadlines missed (first response, next response, resolution; targets per level set in the desk) by the "
     f"{_HANDOVERS} that entered the queue."),
    ("sla_met_rate", "Within SLA", "percent",
     f"Share of the {_HANDOVERS} that entered the queue and missed no deadline so far."),
    ("nps", "Net Promoter Score", "nps",
     "Promoters minus detractors, in points of percentage (−100 to 100), over the answers customers gave in the "
     "range to 'how likely are you to recommend us, 0–10' after rating a hand-over: 9–10 promoters, 7–8 passives, "
     "0–6 detractors; filtered like the ratings."),
    ("nps_responses", "Recommendation answers", "count",
     "Number of those 0–10 answers given in the range, filtered like the ratings."),
    ("repeat_inquiry_rate", "Repeat inquiries", "percent",
     "Share of the customers the bot answered an FAQ entry in the conversations counted above who were answered "
     "the same entry again in a later conversation within 7 days: the first answer did not settle it."),
    ("complaint_handling_s", "Complaint handling time", "seconds",
     f"Median seconds from the first complaint or frustration signal (a message read as a complaint or labelled "
     f"negative, or the hand-over's frustration trigger, looking back up to a day) to resolution, over the "
     f"{_HANDOVERS} that an agent resolved and that had such a signal."),
    ("compensation_cost", "Compensation cost", "yuan",
     "Yuan value of the compensation granted or approved (asked for) in the range, points at their yuan rate; "
     "filtered by the channel and language of the hand-over it was given in, or, for the bot's, of the customer's "
     "latest conversation before it. Pending and declined requests are left out."),
)
# The same labels and definitions for the Chinese console (the UI shows what the report carries, verbatim).
_HANDOVERS_ZH = "范围内创建的转人工会话（各按其自身的渠道和语言筛选）"
FIGURES_ZH: dict[str, tuple[str, str]] = {
    "conversations": (
        "会话数",
        "范围内开始的会话数：以客户第一条手打消息（不含按钮点击）的时间为准，渠道取该消息的渠道，"
        "语言取机器人在会话中最后设置的语言；一个会话是一位客户的一个 Rasa 会话，闲置 60 分钟后算新会话。"),
    "containment_rate": (
        "自助解决率", "上述会话中机器人从未执行 action_handoff（客户完全由机器人服务）的比例。"),
    "escalation_rate": (
        "转人工率", "上述会话中机器人执行了 action_handoff（转给人工，无论当时是否有坐席在线）的比例。"),
    "faq_questions": (
        "FAQ 提问数",
        "上述会话中 action_answer_faq 给出回复（直接回答、提供选项或说明暂不知道）的次数；"
        "知识库不可用的那几次不计。"),
    "answer_rate": ("直接回答", "上述 FAQ 提问中机器人直接回答（回复为 utter_faq_answer）的比例。"),
    "clarify_rate": ("澄清选项", "上述 FAQ 提问中机器人改为提供问题选项（utter_faq_clarify）的比例。"),
    "unresolved_rate": ("未解决",
                        "上述 FAQ 提问中机器人说明暂时无法回答（utter_faq_unknown，无论是否附相关问题）的比例。"),
    "negative_share": ("负面消息占比", "上述会话中客户手打消息（不含按钮点击）里，情绪模型判为负面的比例。"),
    "csat_average": (
        "满意度（CSAT）",
        "范围内客户给出的 1–5 分评价的平均分；评价按其转人工会话的渠道和语言筛选，"
        "没有转人工的按客户在评价之前最近开始的会话筛选（最多回看到范围开始前一天）；"
        "找不到会话的评价只在未设筛选时计入。"),
    "csat_responses": ("评价数", "范围内客户给出的 1–5 分评价数，筛选方式同平均分。"),
    "first_response_s": (
        "首次响应", f"{_HANDOVERS_ZH}中，从创建到坐席写出第一条消息的秒数中位数（只算有坐席消息的）。"),
    "queue_wait_s": ("排队等待", f"{_HANDOVERS_ZH}中，从创建到被坐席接入的秒数中位数（只算已接入的）。"),
    "queue_wait_p90_s": (
        "排队等待（90 分位）",
        "同样的创建到接入时间的第 90 百分位（线性插值）：十个已接入的会话中有九个等待不超过此值。"),
    "handle_time_s": ("处理时长", f"{_HANDOVERS_ZH}中，从接入到解决的秒数中位数（只算已解决的，取消的不计）。"),
    "sla_breaches": ("SLA 超时", f"{_HANDOVERS_ZH}中进入排队的会话错过的时限数"
                                 "（首次响应、再次响应、解决；各级别的时限在坐席工作台设置）。"),
    "sla_met_rate": ("SLA 达标率", f"{_HANDOVERS_ZH}中进入排队、至今没有错过任何时限的比例。"),
    "nps": ("净推荐值（NPS）",
            "范围内客户在评价人工服务后回答“0–10 分，您有多大可能向朋友推荐我们”的答案中，推荐者（9–10）比例减去"
            "贬损者（0–6）比例（−100 到 100）；7–8 为中立者；筛选方式同评价。"),
    "nps_responses": ("推荐意愿答案数", "范围内上述 0–10 答案的数量，筛选方式同评价。"),
    "repeat_inquiry_rate": ("重复咨询率",
                            "上述会话中得到某条 FAQ 回答的客户里，7 天内在之后的会话中又被回答同一条目的比例"
                            "（第一次回答没有解决问题）。"),
    "complaint_handling_s": ("投诉处理时长",
                             f"{_HANDOVERS_ZH}中已由坐席解决、且有投诉或不满信号（被识别为投诉或负面的消息，或因不满"
                             f"触发的转人工，最多回看一天）的，从第一个信号到解决的秒数中位数。"),
    "compensation_cost": ("补偿成本",
                          "范围内（按申请时间）已发放或已批准的补偿折合金额（积分按比例折算）；按发放时所在转人工会话的"
                          "渠道和语言筛选，机器人发放的按客户此前最近的会话筛选；待审批和已拒绝的不计。"),
}
COMPENSATION_SOURCES = {"late_order": "the bot, for an order past its promised date", "bot": "the bot",
                        "agent": "agents, within their limit", "supervisor": "supervisors (approved or granted)"}
COMPENSATION_SOURCES_ZH = {"late_order": "机器人：订单超过承诺送达日期", "bot": "机器人",
                           "agent": "坐席：权限内直接发放", "supervisor": "主管：审批通过或直接发放"}
COMPENSATION_DEFINITION = ("Compensation granted or approved in the range (filtered as for its cost), by who gave "
                           "it and why, with its yuan value.")
COMPENSATION_DEFINITION_ZH = "范围内已发放或已批准的补偿（筛选方式同补偿成本），按发放者和原因分组，附折合金额。"
REPEAT_WINDOW = timedelta(days=7)
REASON_LABELS_ZH = {
    "request": "客户要求转人工",
    "frustration": "机器人察觉客户不满",
    "failure": "机器人多次没能帮上忙",
    "no agent available": "无坐席在线或不在服务时间（同时计入其触发原因）",
}
REASONS_DEFINITION_ZH = "范围内创建的转人工会话（各按其自身的渠道和语言筛选），按触发原因分组。"
REASON_LABELS = {
    "request": "the customer asked for a person",
    "frustration": "the bot saw the customer getting frustrated",
    "failure": "the bot kept failing to help",
    OFFLINE_REASON: "no agent was online or it was outside service hours (also counted under its trigger)",
}
REASONS_DEFINITION = ("Hand-overs created in the range, filtered by their own channel and language, grouped by "
                      "what triggered them.")


@dataclass(frozen=True)
class Filters:
    """The range [start, end) and the optional channel, language and desk label the dashboard is restricted to.

    A label belongs to a hand-over: with one, the desk's figures count the hand-overs carrying it (and their
    ratings), and the conversation figures the conversations of the customers those hand-overs were for."""

    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    channel: str | None = None
    language: str | None = None
    label: int | None = None  # a desk label's id

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if self.start >= self.end:
            raise ValueError("start must be before end")

    def matches(self, channel: str | None, language: str | None) -> bool:
        """Whether a channel and language pass the filters."""
        return (self.channel is None or channel == self.channel) and (
            self.language is None or language == self.language)


@dataclass
class Conversation:
    """One Rasa session of one customer, reduced to what the figures need."""

    sender_id: str
    inherited: str | None  # the language slot's value when the session began
    started: float | None = None  # unix time of the first customer message
    channel: str = "unknown"
    language: str | None = None  # the language slot's last value within the session
    escalated: bool = False
    decisions: list[str] = field(default_factory=list)
    sentiments: list[tuple[float, str]] = field(default_factory=list)
    complaints: list[float] = field(default_factory=list)  # times of messages Rasa read as a complaint
    answers: list[tuple[float, str]] = field(default_factory=list)  # (time, FAQ entry id) of each answer given
    awaiting_faq_reply: bool = False


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were written as UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def _percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 1)


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def bucket_size(start: datetime, end: datetime) -> str:
    """Trend granularity: hours for ranges up to 48 hours, else UTC days."""
    return "hour" if end - start <= HOURLY_UP_TO else "day"


def _floor(moment: datetime, bucket: str) -> datetime:
    moment = _utc(moment).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == "day" else moment


def buckets(start: datetime, end: datetime, bucket: str) -> list[datetime]:
    """Every bucket that overlaps [start, end), in order."""
    step = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
    out, moment = [], _floor(start, bucket)
    while moment < _utc(end):
        out.append(moment)
        moment += step
    return out


def _data(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _language_value(data: dict[str, Any]) -> str | None:
    value = data.get("value")
    return value if data.get("name") == "language" and isinstance(value, str) and value else None


def split_sessions(rows: Iterable[Any]) -> list[Conversation]:
    """Rasa events (id order) to sessions, cut at each action_session_start; sessions without a customer message
    keep started=None."""
    current: dict[str, Conversation] = {}
    last_language: dict[str, str] = {}
    done: list[Conversation] = []
    for row in rows:
        sender, kind, action = row.sender_id, row.type_name, row.action_name
        if (kind == "action" and action == SESSION_START) or sender not in current:
            if sender in current:
                done.append(current[sender])
            current[sender] = Conversation(sender, last_language.get(sender))
        session = current[sender]
        if kind == "action":
            if action == FAQ_ACTION:
                session.awaiting_faq_reply = True
            elif action == HANDOFF_ACTION:
                session.escalated = True
        elif kind == "user":
            session.awaiting_faq_reply = False  # a reply after the next customer turn answers something else
            data = _data(row.data)
            if str(data.get("text") or "").startswith("/"):  # a button payload or an event from the desk
                continue
            if session.started is None:
                session.started, session.channel = row.timestamp, str(data.get("input_channel") or "unknown")
            parse = data.get("parse_data") or {}
            label = (parse.get("sentiment") or {}).get("label")
            if label in LABELS:
                session.sentiments.append((row.timestamp, label))
            if (parse.get("intent") or {}).get("name") == "complain":
                session.complaints.append(row.timestamp)
        elif kind == "bot":
            metadata = _data(row.data).get("metadata") or {}
            utter = str(metadata.get("utter_action"))
            if utter in FAQ_ANSWER_RESPONSES and metadata.get("faq_id"):
                session.answers.append((row.timestamp, str(metadata["faq_id"])))
            decision = DECISIONS.get(utter) if session.awaiting_faq_reply else None
            if decision:
                session.decisions.append(decision)
                session.awaiting_faq_reply = False
        elif kind == "slot":
            language = _language_value(_data(row.data))
            if language:
                session.language = last_language[sender] = language
    return done + list(current.values())


AT_RISK_DEFINITION = (
    "Customers (the shop's customer id where the page sent one, else the conversation) whose hand-overs, "
    "complaints and ratings in the period show risk: frustration rising from one hand-over to the next or at 0.7 "
    "or more, two or more complaints (messages read as complaints, or hand-overs triggered by frustration or "
    "failure), a rating of 1 or 2, or a recommendation score of 6 or less. Score = 40 × highest frustration + 15 "
    "per complaint after the first + 20 per low rating + 10 for a detractor + 15 for rising frustration.")
AT_RISK_DEFINITION_ZH = (
    "期间内转人工、投诉和评价显示有流失风险的客户（页面传了商家客户号的按客户号，否则按会话）：不满在一次次转人工"
    "中上升或达到 0.7 以上、两次及以上投诉（被识别为投诉的消息，或因不满、机器人失败触发的转人工）、给出 1–2 分评价、"
    "或推荐意愿 6 分及以下。风险分 = 40 × 最高不满度 + 第一次之后每次投诉 15 + 每个低分 20 + 贬损者 10 + 不满上升 15。")
RISK_REASONS = {"rising": ("frustration rising", "不满上升"), "complaints": ("{n} complaints", "投诉 {n} 次"),
                "low_ratings": ("{n} low rating(s)", "低分 {n} 次"),
                "detractor": ("would not recommend us", "不愿推荐"), "frustrated": ("frustration {f}", "不满度 {f}")}


@dataclass
class RiskSignals:
    """What one customer's recent hand-overs, complaints and ratings say."""

    customer: str
    conversations: set[str] = field(default_factory=set)
    frustration: list[float] = field(default_factory=list)  # per hand-over, oldest first
    complaints: int = 0
    low_ratings: int = 0
    detractor: bool = False
    escalation_id: int | None = None  # the latest hand-over
    last_seen: datetime | None = None

    @property
    def rising(self) -> bool:
        """Frustration went up by 0.2 or more from the first hand-over to the last."""
        return len(self.frustration) >= 2 and self.frustration[-1] - self.frustration[0] >= 0.2

    def score(self) -> int:
        """The risk score (see AT_RISK_DEFINITION)."""
        highest = max(self.frustration, default=0.0)
        return round(40 * highest + 15 * max(0, self.complaints - 1) + 20 * self.low_ratings
                     + 10 * self.detractor + 15 * self.rising)

    def at_risk(self) -> bool:
        """Whether any of the signals that put a customer on the list is there."""
        return (self.rising or max(self.frustration, default=0.0) >= 0.7 or self.complaints >= 2
                or self.low_ratings > 0 or self.detractor)

    def row(self, lang: str) -> dict[str, Any]:
        """The list's row, its reasons in the console's language."""
        pick = 1 if lang == "zh" else 0
        reasons = []
        if self.rising:
            reasons.append(RISK_REASONS["rising"][pick])
        elif max(self.frustration, default=0.0) >= 0.7:
            reasons.append(RISK_REASONS["frustrated"][pick].format(f=f"{max(self.frustration):.2f}"))
        if self.complaints >= 2:
            reasons.append(RISK_REASONS["complaints"][pick].format(n=self.complaints))
        if self.low_ratings:
            reasons.append(RISK_REASONS["low_ratings"][pick].format(n=self.low_ratings))
        if self.detractor:
            reasons.append(RISK_REASONS["detractor"][pick])
        return {"customer": mask(self.customer), "score": self.score(), "reasons": reasons,
                "conversations": sorted(self.conversations), "hand_overs": len(self.frustration),
                "complaints": self.complaints, "low_ratings": self.low_ratings, "detractor": self.detractor,
                "frustration": [round(f, 2) for f in self.frustration], "escalation_id": self.escalation_id,
                "link": f"/desk#{self.escalation_id}" if self.escalation_id else None,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None}


@dataclass
class DeskFigures:
    """What the desk tables contribute to a report."""

    reasons: list[dict[str, Any]]
    first_response_s: float | None
    queue_wait_s: float | None
    queue_wait_p90_s: float | None
    handle_time_s: float | None
    scores: list[int]
    channels: set[str]
    languages: set[str]
    sla_breaches: int = 0
    sla_met_rate: float | None = None
    labels: list[dict[str, Any]] = field(default_factory=list)  # hand-overs in the range per label
    labelled_senders: set[str] | None = None  # with a label filter: the customers of the hand-overs carrying it
    nps: list[tuple[datetime, int]] = field(default_factory=list)  # (when, 0-10) answers, filtered like ratings
    complaint_times: list[float] = field(default_factory=list)
    compensation: list[CompensationFacts] = field(default_factory=list)


class Dashboard:
    """Computes the dashboard for a range and filters; one per app, safe to share between threads.

    It reads through the packages that own the data (Rasa's events through kefu.tracker_events, the desk's
    tables through its store, the review queue through its reader), so an unavailable database reaches the
    console as that package's error (503), and keeps only the arithmetic and the labels.
    """

    def __init__(self, tracker_url: str, desk_url: str, kb_url: str) -> None:
        self.tracker = TrackerEvents(tracker_url)
        self.desk = DeskStore(desk_url)
        self.review = ReviewReader(KnowledgeStore(kb_url))

    # -- the tracker: conversations, FAQ decisions, sentiment ----------------------------------------------
    def conversations(self, start: datetime, end: datetime) -> list[Conversation]:
        """Sessions with a customer message in [start - 1 day, end), their language resolved; [] without a table.

        Cost: one scan of the events in that window (only the window's rows reach Python, one at a time), plus
        one indexed look-up per 500 senders whose language was set before the window.
        """
        low, high = (_utc(start) - LOOKBACK).timestamp(), _utc(end).timestamp()
        rows = self.tracker.in_window(low, high, types=("user", "bot", "slot"),
                                      actions=(SESSION_START, FAQ_ACTION, HANDOFF_ACTION))
        sessions = [s for s in split_sessions(rows) if s.started is not None]
        unknown = sorted({s.sender_id for s in sessions if not (s.language or s.inherited)})
        earlier: dict[str, str] = {}
        for sender, raw in self.tracker.slots_before(unknown, low, "language"):
            language = _language_value(_data(raw))
            if language:
                earlier[sender] = language
        for s in sessions:
            s.language = s.language or s.inherited or earlier.get(s.sender_id) or DEFAULT_LANGUAGE
        return sessions

    # -- the desk: escalations, response times, ratings ------------------------------------------------------
    def _desk(self, f: Filters, sessions: list[Conversation]) -> DeskFigures:
        start, end = _utc(f.start), _utc(f.end)
        rows: list[EscalationFacts] = self.desk.escalations_between(start, end)
        first_agent = self.desk.first_agent_replies(start, end)
        ratings: list[RatingFacts] = self.desk.ratings_between(start, end)
        matching = [r for r in rows if f.matches(r.channel, r.language)]
        per_label = Counter(label for r in matching for label in r.labels)
        chosen = [r for r in matching if f.label is None or f.label in r.labels]
        reasons = Counter(str(r.trigger) for r in chosen)
        reasons[OFFLINE_REASON] += sum(r.status == OFFLINE_STATUS for r in chosen)
        queued = {r.id for r in chosen if r.status != OFFLINE_STATUS}
        missed = [e_id for e_id, _kind in self.desk.breaches_between(start, end) if e_id in queued]
        waits = [(r.claimed_at - r.created_at).total_seconds() for r in chosen if r.claimed_at]
        handles = [(r.resolved_at - r.claimed_at).total_seconds() for r in chosen
                   if r.status == "resolved" and r.claimed_at and r.resolved_at]
        responses = [(first_agent[r.id] - r.created_at).total_seconds() for r in chosen if r.id in first_agent]
        by_sender: dict[str, list[Conversation]] = {}
        for session in sessions:
            by_sender.setdefault(session.sender_id, []).append(session)
        scores = []
        nps: list[tuple[datetime, int]] = []
        chosen_ids = {r.id for r in chosen}

        def counted(conversation_id: str, at: datetime, channel: str | None, language: str | None,
                    escalation_id: int | None) -> bool:
            """Whether a rating or a compensation passes the filters: by its hand-over, else by the customer's
            latest conversation started before it (with a label, only those of the hand-overs carrying it)."""
            if f.label is not None:
                return escalation_id in chosen_ids
            known = True
            if channel is None:
                before = [c for c in by_sender.get(conversation_id, []) if (c.started or 0) <= at.timestamp()]
                latest = max(before, key=lambda c: c.started or 0) if before else None
                channel, language = (latest.channel, latest.language) if latest else (None, None)
                known = latest is not None
            return (f.channel is None and f.language is None) or (known and f.matches(channel, language))

        for rating in ratings:
            if counted(rating.conversation_id, rating.created_at, rating.channel, rating.language,
                       rating.escalation_id):
                scores.append(rating.score)
                if rating.nps is not None:
                    nps.append((rating.created_at, rating.nps))
        escalation_of = {r.conversation_id: r.id for r in rows}
        compensation = [c for c in self.desk.compensations_between(start, end)
                        if counted(c.conversation_id, c.created_at, c.channel, c.language,
                                   escalation_of.get(c.conversation_id))]
        complaint_times = []
        for r in chosen:
            if r.status != "resolved" or r.resolved_at is None:
                continue
            low, high = (r.created_at - LOOKBACK).timestamp(), r.resolved_at.timestamp()
            signals = [t for c in by_sender.get(r.conversation_id, [])
                       for t in [*c.complaints, *(t for t, label in c.sentiments if label == "negative")]
                       if low <= t <= high]
            if r.trigger == "frustration":
                signals.append(r.created_at.timestamp())
            if signals:
                complaint_times.append(high - min(signals))
        ranked = sorted(((k, v) for k, v in reasons.items() if v), key=lambda kv: (-kv[1], kv[0]))
        return DeskFigures(
            reasons=[{"reason": reason, "count": n} for reason, n in ranked],
            first_response_s=_median(responses), queue_wait_s=_median(waits),
            queue_wait_p90_s=_percentile(waits, 0.9), handle_time_s=_median(handles), scores=scores,
            channels={r.channel for r in rows}, languages={r.language for r in rows},
            labels=[{**label, "count": per_label[label["id"]]} for label in self.desk.labels()],
            labelled_senders=None if f.label is None else {r.conversation_id for r in chosen},
            sla_breaches=len(missed), sla_met_rate=_percent(len(queued - set(missed)), len(queued)),
            nps=nps, complaint_times=complaint_times, compensation=compensation)

    # -- the review queue ------------------------------------------------------------------------------------
    def _clusters(self, f: Filters) -> list[dict[str, Any]]:
        items: list[ReviewRow] = self.review.open_questions(_utc(f.start), _utc(f.end), f.channel, f.language)
        clusters: dict[int, dict[str, Any]] = {}
        for item in items:
            seen = item.created_at
            cluster = clusters.setdefault(item.cluster_id, {
                "id": item.cluster_id, "count": 0, "total": item.cluster_count, "example": item.text,
                "langs": Counter(), "channels": Counter(), "last_seen": seen})
            cluster["count"] += 1
            cluster["langs"][item.lang] += 1
            cluster["channels"][item.channel] += 1
            if seen >= cluster["last_seen"]:
                cluster["example"], cluster["last_seen"] = item.text, seen
        top = sorted(clusters.values(), key=lambda c: (-c["count"], -c["last_seen"].timestamp(), c["id"]))
        # Rows queued before masking began may still hold personal data; the dashboard and its CSV never show it.
        return [{**c, "example": mask(c["example"]), "langs": dict(c["langs"]), "channels": dict(c["channels"]),
                 "last_seen": c["last_seen"].isoformat()} for c in top[:TOP_CLUSTERS]]

    # -- the report ------------------------------------------------------------------------------------------
    def report(self, filters: Filters, lang: str = "en") -> dict[str, Any]:
        """Every figure, breakdown and trend for the filters, JSON-ready; labels and definitions in `lang` (zh/en)."""
        start, end = _utc(filters.start), _utc(filters.end)
        size = bucket_size(start, end)
        # Seven days past the range too: a customer answered in the range may come back with the same question.
        sessions = self.conversations(start, end + REPEAT_WINDOW)
        in_range = [s for s in sessions if start.timestamp() <= (s.started or 0) < end.timestamp()]
        desk = self._desk(filters, sessions)
        chosen = [s for s in in_range if filters.matches(s.channel, s.language)
                  and (desk.labelled_senders is None or s.sender_id in desk.labelled_senders)]
        clusters = self._clusters(filters)

        escalated = sum(s.escalated for s in chosen)
        decisions = Counter(d for s in chosen for d in s.decisions)
        asked = sum(decisions.values())
        sentiment = Counter(label for s in chosen for _, label in s.sentiments)
        scores = desk.scores
        values: dict[str, float | int | None] = {
            "conversations": len(chosen),
            "containment_rate": _percent(len(chosen) - escalated, len(chosen)),
            "escalation_rate": _percent(escalated, len(chosen)),
            "faq_questions": asked,
            "answer_rate": _percent(decisions["answer"], asked),
            "clarify_rate": _percent(decisions["clarify"], asked),
            "unresolved_rate": _percent(decisions["unresolved"], asked),
            "negative_share": _percent(sentiment["negative"], sum(sentiment.values())),
            "csat_average": round(sum(scores) / len(scores), 2) if scores else None,
            "csat_responses": len(scores),
            "first_response_s": desk.first_response_s,
            "queue_wait_s": desk.queue_wait_s,
            "queue_wait_p90_s": desk.queue_wait_p90_s,
            "handle_time_s": desk.handle_time_s,
            "sla_breaches": desk.sla_breaches,
            "sla_met_rate": desk.sla_met_rate,
            "nps": nps_score([n for _, n in desk.nps]),
            "nps_responses": len(desk.nps),
            "repeat_inquiry_rate": repeat_inquiry_rate(chosen, sessions, start, end),
            "complaint_handling_s": _median(desk.complaint_times),
            "compensation_cost": round(sum(c.value for c in desk.compensation), 2),
        }

        reason_labels = REASON_LABELS_ZH if lang == "zh" else REASON_LABELS

        def bucket_of(ts: float) -> datetime:
            return _floor(datetime.fromtimestamp(ts, UTC), size)

        trend_conversations = {b: Counter[str]() for b in buckets(start, end, size)}
        trend_sentiment = {b: Counter[str]() for b in trend_conversations}
        for s in chosen:
            counts = trend_conversations[bucket_of(s.started or 0)]
            counts["conversations"] += 1
            counts["escalated"] += s.escalated
            for ts, label in s.sentiments:
                trend_sentiment[bucket_of(ts)][label] += 1
        return {
            "filters": {"start": start.isoformat(), "end": end.isoformat(), "channel": filters.channel,
                        "language": filters.language, "label": filters.label, "bucket": size},
            "figures": [{"key": key, "label": label, "value": values[key], "unit": unit, "definition": definition}
                        for key, label, unit, definition in _figures(lang)],
            "escalation_reasons": [{**r, "label": reason_labels.get(r["reason"], r["reason"])} for r in desk.reasons],
            "escalation_reasons_definition": REASONS_DEFINITION_ZH if lang == "zh" else REASONS_DEFINITION,
            "decisions": {name: decisions[name] for name in DECISIONS.values()},
            "sentiment": {"distribution": {label: sentiment[label] for label in LABELS},
                          "trend": [{"bucket": b.isoformat(), **{label: n[label] for label in LABELS}}
                                    for b, n in trend_sentiment.items()]},
            "csat": {"average": values["csat_average"], "responses": len(scores),
                     "distribution": {str(score): scores.count(score) for score in range(1, 6)}},
            "conversations_trend": [{"bucket": b.isoformat(), "conversations": n["conversations"],
                                     "escalated": n["escalated"]} for b, n in trend_conversations.items()],
            "nps": {"score": values["nps"], "responses": len(desk.nps),
                    **{group: sum(1 for _, n in desk.nps if nps_group(n) == group) for group in NPS_GROUPS},
                    "trend": [{"bucket": b.isoformat(), **_nps_point([n for at, n in desk.nps
                                                                      if _floor(at, size) == b])}
                              for b in buckets(start, end, size)]},
            "compensation": {
                "total": values["compensation_cost"],
                "definition": COMPENSATION_DEFINITION_ZH if lang == "zh" else COMPENSATION_DEFINITION,
                "by_reason": _compensation_reasons(desk.compensation, lang)},
            "top_clusters": clusters,
            "labels": [{"id": label["id"], "name": label["name"], "color": label["color"], "count": label["count"]}
                       for label in desk.labels],
            "channels": sorted({s.channel for s in in_range} | desk.channels),
            "languages": sorted({s.language or DEFAULT_LANGUAGE for s in in_range} | desk.languages),
        }

    def csv(self, filters: Filters, lang: str = "en") -> str:
        """The same report as CSV: section,key,label,value,unit,definition."""
        return report_csv(self.report(filters, lang))

    # -- customers at risk -----------------------------------------------------------------------------------
    def at_risk(self, now: datetime, days: int = 30, lang: str = "en", limit: int = 50) -> dict[str, Any]:
        """Customers whose last `days` show rising frustration, repeated complaints or low ratings, riskiest
        first, each with the signals behind the score and their latest hand-over (the desk's link to it)."""
        end = _utc(now)
        start = end - timedelta(days=days)
        escalations = sorted(self.desk.escalations_between(start, end), key=lambda r: r.created_at)
        key_of = {r.conversation_id: r.customer_key or r.conversation_id for r in escalations}
        customers: dict[str, RiskSignals] = {}

        def signals(conversation_id: str) -> RiskSignals:
            key = key_of.get(conversation_id, conversation_id)
            return customers.setdefault(key, RiskSignals(key))

        for r in escalations:
            s = signals(r.conversation_id)
            s.conversations.add(r.conversation_id)
            s.frustration.append(r.frustration)
            s.complaints += r.trigger in ("frustration", "failure")
            s.escalation_id, s.last_seen = r.id, max(s.last_seen or r.created_at, r.created_at)
        for session in self.conversations(start, end):
            if session.complaints and (session.started or 0) >= start.timestamp():
                s = signals(session.sender_id)
                s.conversations.add(session.sender_id)
                s.complaints += len(session.complaints)
        for rating in self.desk.ratings_between(start, end):
            s = signals(rating.conversation_id)
            s.conversations.add(rating.conversation_id)
            s.low_ratings += rating.score <= 2
            s.detractor = s.detractor or (rating.nps is not None and rating.nps <= 6)
            s.last_seen = max(s.last_seen or rating.created_at, rating.created_at)
        rows = [s.row(lang) for s in customers.values() if s.at_risk()]
        rows.sort(key=lambda row: (-row["score"], row["customer"]))
        return {"days": days, "definition": AT_RISK_DEFINITION_ZH if lang == "zh" else AT_RISK_DEFINITION,
                "customers": rows[:limit]}


NPS_GROUPS = ("promoters", "passives", "detractors")


def nps_group(score: int) -> str:
    """9–10 promoters, 7–8 passives, 0–6 detractors."""
    return "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"


def nps_score(scores: Sequence[int]) -> int | None:
    """Promoters' share minus detractors' share, in points (−100 … 100); None without answers."""
    if not scores:
        return None
    groups = Counter(nps_group(s) for s in scores)
    return round(100 * (groups["promoters"] - groups["detractors"]) / len(scores))


def _nps_point(scores: list[int]) -> dict[str, Any]:
    groups = Counter(nps_group(s) for s in scores)
    return {"score": nps_score(scores), **{g: groups[g] for g in NPS_GROUPS}}


def repeat_inquiry_rate(chosen: list[Conversation], sessions: list[Conversation], start: datetime,
                        end: datetime) -> float | None:
    """Of the customers answered an FAQ entry in `chosen` within [start, end), the share answered the same entry
    again in a later conversation within 7 days."""
    low, high, window = start.timestamp(), end.timestamp(), REPEAT_WINDOW.total_seconds()
    by_sender: dict[str, list[Conversation]] = {}
    for s in sessions:
        by_sender.setdefault(s.sender_id, []).append(s)
    answered: dict[str, list[tuple[float, str, int]]] = {}
    for s in chosen:
        answered.setdefault(s.sender_id, []).extend((t, faq, id(s)) for t, faq in s.answers if low <= t < high)
    customers = [sender for sender, first in answered.items() if first]
    repeated = 0
    for sender in customers:
        later = [(t, faq, id(s)) for s in by_sender.get(sender, []) for t, faq in s.answers]
        if any(faq2 == faq and session2 != session and t < t2 <= t + window
               for t, faq, session in answered[sender] for t2, faq2, session2 in later):
            repeated += 1
    return _percent(repeated, len(customers))


def _compensation_reasons(rows: list[CompensationFacts], lang: str) -> list[dict[str, Any]]:
    labels = COMPENSATION_SOURCES_ZH if lang == "zh" else COMPENSATION_SOURCES
    totals: dict[str, list[float]] = {}
    for c in rows:
        totals.setdefault(c.source, []).append(c.value)
    ranked = sorted(totals.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
    return [{"reason": source, "label": labels.get(source, source), "count": len(values),
             "value": round(sum(values), 2)} for source, values in ranked]


def _figures(lang: str) -> Iterator[tuple[str, str, str, str]]:
    """FIGURES with labels and definitions in the language asked for."""
    for key, label, unit, definition in FIGURES:
        if lang == "zh":
            label, definition = FIGURES_ZH[key]
        yield key, label, unit, definition


def _csv_rows(report: dict[str, Any]) -> Iterator[list[Any]]:
    for figure in report["figures"]:
        value = "" if figure["value"] is None else figure["value"]
        yield ["figure", figure["key"], figure["label"], value, figure["unit"], figure["definition"]]
    for reason in report["escalation_reasons"]:
        yield ["escalation_reason", reason["reason"], reason["label"], reason["count"], "count",
               report["escalation_reasons_definition"]]
    for name, n in report["decisions"].items():
        yield ["decision", name, f"FAQ questions: {name}", n, "count",
               "FAQ questions in the conversations counted above, by the bot's reply."]
    for label, n in report["sentiment"]["distribution"].items():
        yield ["sentiment", label, f"{label} messages", n, "count",
               "Customers' typed messages in the conversations counted above, by sentiment label."]
    for score, n in report["csat"]["distribution"].items():
        yield ["csat", score, f"rated {score}", n, "count", "Ratings given in the range with this score."]
    for point in report["conversations_trend"]:
        for series in ("conversations", "escalated"):
            also = " and that ran action_handoff" if series == "escalated" else ""
            yield ["trend", point["bucket"], series, point[series], "count",
                   f"Conversations counted above that started in this {report['filters']['bucket']}{also}."]
    for point in report["sentiment"]["trend"]:
        for label in LABELS:
            yield ["sentiment_trend", point["bucket"], label, point[label], "count",
                   f"Typed customer messages labelled {label} sent in this {report['filters']['bucket']}."]
    nps = report.get("nps") or {}
    for group in NPS_GROUPS:
        yield ["nps", group, group, nps.get(group, 0), "count",
               "Answers to 'how likely are you to recommend us' in the range in this group (9–10 promoters, 7–8 "
               "passives, 0–6 detractors)."]
    for point in nps.get("trend", []):
        yield ["nps_trend", point["bucket"], "nps", "" if point["score"] is None else point["score"], "nps",
               f"Net Promoter Score of the answers given in this {report['filters']['bucket']}."]
    compensation = report.get("compensation") or {}
    for reason in compensation.get("by_reason", []):
        yield ["compensation", reason["reason"], reason["label"], reason["value"], "yuan",
               f"{compensation['definition']} ({reason['count']} grants)"]
    for label in report.get("labels", []):
        yield ["label", label["id"], label["name"], label["count"], "count",
               "Hand-overs started in the range carrying this label (channel and language filters applied)."]
    for cluster in report["top_clusters"]:
        yield ["top_cluster", cluster["id"], cluster["example"], cluster["count"], "count",
               f"Questions in the range in this open review cluster ({cluster['total']} in all)."]
    for key, value in report["filters"].items():
        yield ["filter", key, key, "" if value is None else value, "", "The filters this report was made with."]


def report_csv(report: dict[str, Any]) -> str:
    """A report (as `Dashboard.report` returns it) as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "key", "label", "value", "unit", "definition"])
    writer.writerows(_csv_rows(report))
    return out.getvalue()
