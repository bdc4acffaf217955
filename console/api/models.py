"""Response models of the console's API: the JSON each route returns, as `/api/docs` shows it.

They describe the dicts that `desk.store`, `knowledge_base` and `console.analytics` build; times stay the ISO strings
those give. A key that only some responses have is an optional field, and its routes set
`response_model_exclude_unset`, so a key absent from the dict stays absent from the JSON.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

# -- errors ----------------------------------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """An error: what went wrong, in one line."""

    detail: str


class ImportProblemsOut(ErrorOut):
    """An import refused whole: the validation report names every bad row."""

    problems: list[str] = Field(default_factory=list, description="Each bad row with its line and reason.")


ERRORS = {
    401: "Not signed in.",
    403: "The wrong role for this route, or a missing or wrong X-CSRF-Token header.",
    404: "Nothing has this id.",
    409: "A conflict with the stored state (claimed by someone else, already closed, the id taken, a newer edit).",
    411: "An upload without a Content-Length header.",
    413: "The file is too large.",
    415: "A file type the desk does not take (SVG, a script), or content that is not what its name says.",
    429: "Too many failed sign-ins: try again after Retry-After seconds.",
    503: "The knowledge base is not ready (no published entries, no index, or no embedding model).",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting these error statuses with `ErrorOut`."""
    return {code: {"model": ErrorOut, "description": ERRORS[code]} for code in codes}


# -- sign-in and the desk --------------------------------------------------------------------------------------------


class UserOut(BaseModel):
    """A console user (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: str


class AgentOut(UserOut):
    """A console user: whether they are online now, their status (offline once their heartbeat is stale), the
    conversations they hold and the most auto-assignment gives them at once."""

    online: bool
    status: Literal["online", "busy", "away", "offline"]
    load: int
    capacity: int


class LoginOut(BaseModel):
    """The signed-in user and the CSRF token their page must send with unsafe requests."""

    user: UserOut
    csrf_token: str
    # Whether the user's role may reveal masked personal data (KEFU_PII_REVEAL_ROLES).
    may_reveal: bool = False


class PresenceOut(BaseModel):
    """The availability just recorded."""

    status: Literal["online", "busy", "away"]


class CannedReplyOut(BaseModel):
    """A canned reply: its template, and (asked for one conversation) the template filled for it."""

    id: int
    language: str
    title: str
    shortcut: str | None = Field(description="Typed after / in the reply box (unique in its language).")
    text: str = Field(description="The template: {customer_name}, {order_id}, {agent_name}, each with an optional "
                                  "fallback ({customer_name|亲}).")
    updated_at: str | None
    filled: str | None = Field(None, description="The template filled from the conversation (with escalation_id).")


class SuggestionOut(BaseModel):
    """A knowledge-base entry for the customer's latest question, with its answer in the customer's language."""

    faq_id: str
    question: str
    answer: str
    lang: str = Field(description="The answer's language (the other one when the entry has none in the customer's).")
    score: float
    category: str


class SuggestionsOut(BaseModel):
    """What the knowledge base offers the agent for the customer's latest question."""

    question: str | None = Field(description="The customer message searched (None: no customer message yet).")
    suggestions: list[SuggestionOut]


class TicketOut(BaseModel):
    """A message left while no agent was available."""

    id: int
    conversation_id: str
    channel: str
    language: str
    message: str
    contact: str
    masked: bool = False
    status: str
    created_at: str


class TicketRevealOut(BaseModel):
    """A ticket's message and contact as the customer wrote them (the reveal is audit-logged)."""

    ticket_id: int
    message: str
    contact: str


class RevealedTextOut(BaseModel):
    """One customer message as written."""

    id: int | None = None
    index: int | None = None
    text: str


class EscalationRevealOut(BaseModel):
    """A hand-over's customer messages as written: `summary` by position in the summary, `messages` by id."""

    escalation_id: int
    summary: list[RevealedTextOut]
    messages: list[RevealedTextOut]


class AuditEntryOut(BaseModel):
    """Who revealed or removed personal data, when, and in which conversation."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    conversation_id: str | None
    detail: dict[str, Any]


class LabelRefOut(BaseModel):
    """A label: its name and colour (one of grey, red, orange, yellow, green, blue, purple, pink)."""

    id: int
    name: str
    color: str


class LabelOut(LabelRefOut):
    """A label of the list, with how many waiting or claimed conversations carry it now."""

    open: int = 0


class SlaTargetsOut(BaseModel):
    """Seconds allowed for the first response, each next response and the resolution."""

    first_response_s: int
    next_response_s: int
    resolution_s: int


class SlaBreachOut(BaseModel):
    """A deadline the hand-over missed."""

    kind: Literal["first_response", "next_response", "resolution"]
    due_at: str | None
    breached_at: str | None


class SlaOut(BaseModel):
    """A hand-over's SLA: its level, its targets, the deadlines still running (null: not running) and its breaches."""

    level: Literal["urgent", "high", "normal"]
    targets: SlaTargetsOut
    first_response_due: str | None
    next_response_due: str | None
    resolution_due: str | None
    breaches: list[SlaBreachOut]


class SlaSettingsOut(BaseModel):
    """The SLA targets per level in force (an admin's, else the settings'), and the settings' defaults."""

    levels: dict[str, SlaTargetsOut]
    defaults: dict[str, SlaTargetsOut]


class IdentityOut(BaseModel):
    """A channel and the customer's conversation id on it."""

    channel: str
    conversation_id: str


class ContactHandoverOut(BaseModel):
    """One of the customer's hand-overs (this one marked current)."""

    id: int
    conversation_id: str
    channel: str
    status: str
    reason: str
    created_at: str | None
    resolved_at: str | None
    agent: str | None
    labels: list[LabelRefOut]
    current: bool


class ContactRatingOut(BaseModel):
    """A rating the customer gave."""

    score: int
    comment: str | None
    created_at: str | None
    conversation_id: str


class ContactOrderOut(BaseModel):
    """An order the customer mentioned, as the order system (or the demo order book) knows it now."""

    number: str
    status: str = Field(description="pending_payment, paid, shipped, delivered, cancelled; unknown when the order "
                                    "system does not know it or cannot be asked.")
    carrier: str = ""
    tracking_number: str = ""
    eta: str = ""
    delivered_at: str = ""


class ContactActivityOut(BaseModel):
    """The customer's conversations with the bot, from Rasa's stored events."""

    sessions: int
    first_seen: str | None
    last_seen: str | None


class ContactOut(BaseModel):
    """The contact profile beside a conversation: the same conversation id, or the shop's customer id
    (metadata `customer_id`) across channels."""

    conversation_id: str
    customer_id: str | None
    customer_name: str | None
    tier: str
    language: str
    identities: list[IdentityOut]
    activity: ContactActivityOut | None
    handovers: list[ContactHandoverOut]
    ratings: list[ContactRatingOut]
    tickets: list[TicketOut]
    orders: list[ContactOrderOut]


class FaqProposalOut(BaseModel):
    """A question and an agent's answer, sent to the review queue for ops to turn into an entry."""

    item_id: int
    cluster_id: int


class TeamRefOut(BaseModel):
    """The team a hand-over is routed to."""

    id: int
    name: str


class TeamMemberOut(BaseModel):
    """An agent in a team."""

    id: int
    display_name: str


class TeamOut(TeamRefOut):
    """A team: the categories it covers (knowledge-base categories or intents), whether its hand-overs are
    auto-assigned, its members, and how many waiting or claimed hand-overs it has now."""

    categories: list[str]
    auto_assign: bool
    members: list[TeamMemberOut]
    open: int = 0


class EscalationAgentOut(BaseModel):
    """The agent holding a hand-over."""

    id: int
    display_name: str


class EscalationOut(BaseModel):
    """A hand-over, with its priority as of now and (when waiting) its queue position."""

    id: int
    conversation_id: str
    channel: str
    language: str
    status: str
    tier: str
    trigger: str
    reason: str
    frustration: float
    priority: float
    created_at: str
    claimed_at: str | None
    resolved_at: str | None
    agent: EscalationAgentOut | None
    position: int | None
    summary: dict[str, Any] = Field(description="What the bot gathered for the agent (free-form).")
    labels: list[LabelRefOut] = Field(default_factory=list, description="The labels agents put on it, by name.")
    sla: SlaOut | None = None
    category: str | None = Field(None, description="What it is about: the KB's category of the last question, "
                                                   "else the intent.")
    team: TeamRefOut | None = Field(None, description="The team it is routed to (null: anyone).")


class QueueOut(BaseModel):
    """Waiting and claimed hand-overs, most urgent first, and how many agents are online."""

    escalations: list[EscalationOut]
    agents_online: int


class AttachmentOut(BaseModel):
    """An image or file sent in a hand-over; `url` is the console's `/files/{token}`."""

    token: str
    filename: str
    content_type: str
    size: int
    image: bool
    url: str


class MessageOut(BaseModel):
    """A message of a hand-over: the customer's, an agent's or the system's."""

    id: int
    escalation_id: int
    role: str
    text: str
    masked: bool = False
    sentiment: dict[str, Any] | None
    frustration: float | None
    agent_name: str | None
    created_at: str
    delivered: bool
    attachment: AttachmentOut | None = None


class NoteOut(BaseModel):
    """An internal note (customers never see it)."""

    id: int
    escalation_id: int
    author: str
    text: str
    created_at: str


class EscalationDetailOut(BaseModel):
    """A hand-over with its transcript and notes."""

    escalation: EscalationOut
    messages: list[MessageOut]
    notes: list[NoteOut]


class RatingOut(BaseModel):
    """A customer's satisfaction rating."""

    id: int
    conversation_id: str
    escalation_id: int | None
    agent_id: int | None
    score: int
    comment: str | None
    created_at: str


# -- the knowledge base ----------------------------------------------------------------------------------------------


class EntryOut(BaseModel):
    """An entry whole: answers and question variants per language, and the answers of customer tiers that have
    their own (tier → language → text)."""

    id: str
    category: str
    status: str
    answers: dict[str, str]
    variants: dict[str, list[str]]
    tier_answers: dict[str, dict[str, str]] = Field(default_factory=dict)


class FollowUpOut(BaseModel):
    """A question customers often ask next after an entry, learned from the conversations; the bot offers the two
    most frequent ones switched on."""

    entry_id: str
    next_id: str
    count: int = Field(description="Conversations in which next_id was asked right after entry_id was answered.")
    share: float = Field(description="That count over the conversations in which entry_id was answered (0-1).")
    enabled: bool
    offered: bool = Field(description="Whether the bot offers it now (switched on and among the top two).")
    titles: dict[str, str] = Field(default_factory=dict, description="A question of next_id per language.")


class FollowUpsOut(BaseModel):
    """The suggestions (of one entry) and the thresholds a pair must pass."""

    suggestions: list[FollowUpOut]
    min_count: int
    min_share: float
    days: int


class FollowUpReportOut(BaseModel):
    """What a recount of the conversations found."""

    conversations: int = Field(description="FAQ answers counted (one per entry and conversation).")
    entries_answered: int
    pairs: int
    suggestions: int
    days: int
    min_count: int
    min_share: float


class EntryRevisionOut(EntryOut):
    """An entry with the number of its newest revision (send it back as base_revision when saving)."""

    revision: int | None


class PublishOut(BaseModel):
    """Whether the index was rebuilt from the published entries."""

    published: bool
    index_version: int
    vectors: int | None = Field(default=None, description="Only when published: the index's size.")
    publish_error: str | None = Field(default=None, description="Only when not published: why.")


class SavedEntryOut(BaseModel):
    """A saved entry; the publish fields are there when the change touched a published entry."""

    entry: EntryRevisionOut
    published: bool | None = None
    index_version: int | None = None
    vectors: int | None = None
    publish_error: str | None = None


class PublishedEntryOut(PublishOut):
    """An entry made from a review cluster, and the publish that followed."""

    entry: EntryOut


class TuningDriftOut(BaseModel):
    """How far the published KB has moved from the one the embedding model was tuned on."""

    tuned_questions: int
    published_questions: int
    new_since_tuning: int
    gone_since_tuning: int
    new_share: float = Field(description="Share of the published questions that were not in the tuning set.")
    delta: str = Field(description="shipped: the demo KB's delta in the repo; local: one `tune` wrote here.")
    retune: bool = Field(description="new_share has reached retune_share: run `python -m knowledge_base tune`.")
    retune_share: float


class MetaOut(BaseModel):
    """Counts, categories, the published index version, the review queue's size and the file formats."""

    entries: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    variants_by_lang: dict[str, int]
    answers_by_lang: dict[str, int]
    index_version: int
    categories: list[str]
    review: dict[str, int] = Field(description="Review clusters per status.")
    formats: list[str]
    embedder: TuningDriftOut | None = Field(None, description="None unless the model is the KB-tuned one.")


class EntrySummaryOut(BaseModel):
    """An entry as the list shows it: counts, first questions, answers cut to 140 characters, newest revision."""

    id: str
    category: str
    status: str
    questions: dict[str, int]
    title: dict[str, str]
    answers: dict[str, str]
    revision: int | None
    author: str | None
    updated_at: str | None


class EntriesOut(BaseModel):
    """How many entries match, and the first `limit` of them."""

    total: int
    entries: list[EntrySummaryOut]


class DiffSegmentOut(BaseModel):
    """A run of text kept, inserted or deleted."""

    op: Literal["equal", "insert", "delete"]
    text: str


class CreatedChangeOut(BaseModel):
    """The first revision."""

    field: Literal["created"]
    text: str


class FieldChangeOut(BaseModel):
    """A new category or status."""

    field: Literal["category", "status"]
    before: str | None
    after: str | None


class AnswerChangeOut(BaseModel):
    """An answer edited in one language."""

    field: Literal["answer"]
    lang: str
    segments: list[DiffSegmentOut]


class TierAnswerChangeOut(BaseModel):
    """A customer tier's own answer edited (added, removed) in one language."""

    field: Literal["tier_answer"]
    tier: str
    lang: str
    segments: list[DiffSegmentOut]


class QuestionsChangeOut(BaseModel):
    """Question variants added or removed in one language."""

    field: Literal["questions"]
    lang: str
    added: list[str]
    removed: list[str]


Change = Annotated[CreatedChangeOut | FieldChangeOut | AnswerChangeOut | TierAnswerChangeOut | QuestionsChangeOut,
                   Field(discriminator="field")]


class RevisionOut(BaseModel):
    """One revision of an entry: who, when, the entry as it was, and what it changed."""

    number: int
    author: str
    action: str
    at: str
    snapshot: EntryOut
    changes: list[Change]


class ImportSummaryOut(BaseModel):
    """What an import file holds."""

    file: str
    entries: int
    variants: int


class ImportPreviewOut(ImportSummaryOut):
    """A dry run: the file is valid; how many of its entries are new."""

    dry_run: Literal[True]
    new: int
    existing: int


class ImportDoneOut(PublishOut, ImportSummaryOut):
    """An import: what it changed, and the publish that followed."""

    dry_run: Literal[False]
    created: int
    updated: int
    unchanged: int
    archived: int


class TryCandidateOut(BaseModel):
    """An entry that matches the question, with the variant it matched best."""

    faq_id: str
    question: str
    answer: str
    score: float
    lang: str
    category: str
    matched: str
    matched_lang: str


class ChoiceOut(BaseModel):
    """An entry offered as a button (clarify) or as a related question."""

    faq_id: str
    question: str


class AnswerReplyOut(BaseModel):
    """The bot answers with one entry."""

    kind: Literal["answer"]
    faq_id: str
    text: str
    lang: str


class ClarifyReplyOut(BaseModel):
    """The bot asks which of a few entries was meant."""

    kind: Literal["clarify"]
    choices: list[ChoiceOut]


class UnresolvedReplyOut(BaseModel):
    """The bot does not know yet, and may offer related questions."""

    kind: Literal["unresolved"]
    related: list[ChoiceOut]


class ThresholdsOut(BaseModel):
    """The cut-offs the decision used (the confidence ones are null without a confidence model)."""

    answer: float
    margin: float
    clarify: float
    window: float
    certain: float
    related: float
    answer_confidence: float | None
    clarify_confidence: float | None


class TryOut(BaseModel):
    """What the bot would answer now: the decision, the scored candidates and the reply."""

    query: str
    lang: str
    decision: str
    index_version: int
    confidence: float | None
    candidates: list[TryCandidateOut]
    reply: Annotated[AnswerReplyOut | ClarifyReplyOut | UnresolvedReplyOut, Field(discriminator="kind")]
    thresholds: ThresholdsOut


# -- the review queue ------------------------------------------------------------------------------------------------


class ClusterCandidateOut(BaseModel):
    """An entry the bot considered for the cluster's questions, with its best score."""

    faq_id: str
    question: str
    score: float


class ClusterOut(BaseModel):
    """A cluster of questions the bot could not answer."""

    id: int
    status: str
    topic: str
    count: int
    first_seen: str
    last_seen: str
    examples: list[str]
    langs: dict[str, int]
    channels: dict[str, int]
    kinds: dict[str, int]
    top_candidates: list[ClusterCandidateOut]
    resolution: str | None
    resolved_faq_id: str | None


class ClustersOut(BaseModel):
    """Clusters per status, and the clusters asked for."""

    counts: dict[str, int]
    clusters: list[ClusterOut]


class ReviewItemOut(BaseModel):
    """One failed question of a cluster."""

    id: int
    at: str
    kind: str
    text: str
    lang: str
    conversation_id: str
    channel: str
    candidates: list[dict[str, Any]] = Field(description="The candidates stored with the failure (free-form).")
    failed_faq_id: str | None
    proposed_answer: str | None = Field(None, description="kind agent_answer: the answer an agent proposed.")
    proposed_by: str | None = Field(None, description="The agent who proposed it.")


class NearestOut(BaseModel):
    """A published entry near the cluster's questions now."""

    faq_id: str
    question: str
    category: str
    score: float


class ClusterDetailOut(BaseModel):
    """A cluster, every question in it, the entries nearest to it, and a prefilled draft of a new entry."""

    cluster: ClusterOut
    items: list[ReviewItemOut]
    nearest: list[NearestOut]
    draft: EntryOut


class DismissedOut(BaseModel):
    """The cluster closed without changing the knowledge base."""

    dismissed: int


# -- the dashboard ---------------------------------------------------------------------------------------------------


class DashboardFiltersOut(BaseModel):
    """The range and filters the report was made with, and the trends' bucket."""

    start: str
    end: str
    channel: str | None
    language: str | None
    label: int | None = Field(None, description="A desk label's id: only hand-overs carrying it, and their "
                                                "customers' conversations.")
    bucket: Literal["hour", "day"]


class FigureOut(BaseModel):
    """One figure with its definition (null when there is nothing to compute it from)."""

    key: str
    label: str
    value: int | float | None
    unit: str
    definition: str


class ReasonOut(BaseModel):
    """Hand-overs for one reason."""

    reason: str
    count: int
    label: str


class SentimentPointOut(BaseModel):
    """Customer messages per sentiment in one bucket."""

    bucket: str
    negative: int
    neutral: int
    positive: int


class SentimentOut(BaseModel):
    """Customer messages per sentiment, overall and per bucket."""

    distribution: dict[str, int]
    trend: list[SentimentPointOut]


class CsatOut(BaseModel):
    """Satisfaction ratings: the mean, the count, and the count per score ("1" to "5")."""

    average: float | None
    responses: int
    distribution: dict[str, int]


class ConversationsPointOut(BaseModel):
    """Conversations and hand-overs in one bucket."""

    bucket: str
    conversations: int
    escalated: int


class TopClusterOut(BaseModel):
    """An open review cluster with questions in the range."""

    id: int
    count: int
    total: int
    example: str
    langs: dict[str, int]
    channels: dict[str, int]
    last_seen: str


class LabelCountOut(LabelRefOut):
    """A label and how many hand-overs that started in the range carry it."""

    count: int


class NpsPointOut(BaseModel):
    """Recommendation answers in one bucket (or the whole range): the score and each group's count."""

    score: int | None
    promoters: int
    passives: int
    detractors: int


class NpsTrendPointOut(NpsPointOut):
    """NPS in one bucket."""

    bucket: str


class NpsOut(NpsPointOut):
    """Net Promoter Score over the range, with its trend."""

    responses: int
    trend: list[NpsTrendPointOut]


class CompensationReasonOut(BaseModel):
    """Compensation given by one source (the bot for late orders, agents, supervisors)."""

    reason: str
    label: str
    count: int
    value: float


class CompensationSummaryOut(BaseModel):
    """What compensation cost in the range, by source."""

    total: float
    definition: str
    by_reason: list[CompensationReasonOut]


class DashboardOut(BaseModel):
    """Every dashboard figure with its definition, the breakdowns and the trends."""

    filters: DashboardFiltersOut
    figures: list[FigureOut]
    escalation_reasons: list[ReasonOut]
    escalation_reasons_definition: str
    decisions: dict[str, int]
    sentiment: SentimentOut
    csat: CsatOut
    conversations_trend: list[ConversationsPointOut]
    top_clusters: list[TopClusterOut]
    labels: list[LabelCountOut] = Field(default_factory=list, description="Hand-overs in the range per label.")
    nps: NpsOut
    compensation: CompensationSummaryOut
    channels: list[str]
    languages: list[str]


class CompensationOut(BaseModel):
    """A compensation: granted within the giver's limit, pending a supervisor, approved or declined."""

    id: int
    key: str
    conversation_id: str
    escalation_id: int | None
    kind: str
    amount: float
    value: float
    reason: str
    status: str
    requested_by: str
    requester_role: str
    decided_by: str | None
    decision_note: str | None
    code: str | None
    created_at: str
    decided_at: str | None


class CapOut(BaseModel):
    """What one customer may get in total within some days."""

    yuan: float
    days: int


class CompensationPolicyOut(BaseModel):
    """The compensation policy, and what the signed-in user may do with it."""

    kinds: dict[str, str]
    limits: dict[str, float]
    cap: CapOut
    points_per_yuan: int
    my_limit: float
    may_decide: bool


class AtRiskCustomerOut(BaseModel):
    """One customer at risk of leaving, with the signals behind the score and their latest hand-over."""

    customer: str
    score: int
    reasons: list[str]
    conversations: list[str]
    hand_overs: int
    complaints: int
    low_ratings: int
    detractor: bool
    frustration: list[float]
    escalation_id: int | None
    link: str | None
    last_seen: str | None


class AtRiskOut(BaseModel):
    """Customers at risk over the last days, riskiest first, and how the list is made."""

    days: int
    definition: str
    customers: list[AtRiskCustomerOut]
