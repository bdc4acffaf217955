"""Tables of the handoff desk (SQLAlchemy 2, all prefixed desk_), sharing the conversation database."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from kefu.db import make_engine, upgrade, utcnow

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "desk_alembic_version"
ACTIVE = ("waiting", "claimed")


class Base(DeclarativeBase):
    """Declarative base of the desk tables."""


class Agent(Base):
    """A console user: agent, ops or admin."""

    __tablename__ = "desk_agents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # online, busy or away, as the agent set it; online and busy count only while last_seen_at is fresh (a
    # heartbeat). Busy agents are there (customers keep queueing) but get no new conversations.
    status: Mapped[str] = mapped_column(String(16), default="away")
    # The most conversations auto-assignment gives the agent at once (set by an admin).
    capacity: Mapped[int] = mapped_column(Integer, default=3, server_default=text("3"))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "desk_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("desk_agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    agent: Mapped[Agent] = relationship()


class Escalation(Base):
    """One hand-over of a conversation to people, from the trigger until resolved or cancelled."""

    __tablename__ = "desk_escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    tier: Mapped[str] = mapped_column(String(16), default="regular")
    # request (the customer asked), frustration (the policy), failure (the bot kept failing)
    trigger: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    frustration: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("desk_agents.id"), nullable=True)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the customer was last told, so they are told again only when it changes.
    told_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Given to its agent by auto-assignment (not claimed by hand), and the agents it was taken back from because
    # they did not answer in time (they get it again only when nobody else has room).
    auto_assigned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    passed_over: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    # For the SLA clocks (desk/sla.py): the first agent reply, and the oldest customer message since the last one.
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    awaiting_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Skills routing: what the hand-over is about (the knowledge base's category of the last question, else the
    # intent) and the team that covers it (None: anyone).
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("desk_teams.id", ondelete="SET NULL"), nullable=True)
    # The shop's own id of the customer (message metadata `customer_id`): their conversations on other channels.
    customer_key: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    agent: Mapped[Agent | None] = relationship()
    team: Mapped[Team | None] = relationship(lazy="selectin", viewonly=True)
    # Loaded with every escalation in one extra query per batch (the queue shows them on every item).
    labels: Mapped[list[Label]] = relationship(secondary="desk_escalation_labels", lazy="selectin",
                                               order_by="Label.name", viewonly=True)
    breaches: Mapped[list[SlaBreach]] = relationship(lazy="selectin", order_by="SlaBreach.id", viewonly=True)

    __table_args__ = (
        # One active hand-over per conversation, enforced by the database, so two triggers cannot race.
        Index(
            "ix_desk_escalations_one_active",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'claimed')"),
            postgresql_where=text("status IN ('waiting', 'claimed')"),
        ),
    )


class Team(Base):
    """A team of agents that takes the hand-overs of some categories (knowledge-base categories or intents)."""

    __tablename__ = "desk_teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Off: the team's hand-overs wait for someone to claim them, even with KEFU_DESK_AUTO_ASSIGN on.
    auto_assign: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=utcnow)
    members: Mapped[list[Agent]] = relationship(secondary="desk_team_members", lazy="selectin",
                                                order_by="Agent.display_name")

    __table_args__ = (Index("ix_desk_teams_name", "name", unique=True),)


class TeamMember(Base):
    """An agent in a team."""

    __tablename__ = "desk_team_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("desk_teams.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("desk_agents.id", ondelete="CASCADE"), primary_key=True)


class Label(Base):
    """A label agents put on conversations (refund, logistics, VIP complaint…); admins keep the list."""

    __tablename__ = "desk_labels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(48))
    color: Mapped[str] = mapped_column(String(16), default="grey", server_default="grey")
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=utcnow)

    __table_args__ = (Index("ix_desk_labels_name", "name", unique=True),)


class EscalationLabel(Base):
    """A label on a hand-over, who put it there and when."""

    __tablename__ = "desk_escalation_labels"
    escalation_id: Mapped[int] = mapped_column(ForeignKey("desk_escalations.id", ondelete="CASCADE"),
                                               primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("desk_labels.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("desk_agents.id"), nullable=True)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=utcnow)

    __table_args__ = (Index("ix_desk_escalation_labels_label", "label_id"),)


class SlaTarget(Base):
    """An admin's SLA targets for one level (urgent, high, normal), in seconds; settings give the rest."""

    __tablename__ = "desk_sla_targets"
    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    first_response_s: Mapped[int] = mapped_column(Integer)
    next_response_s: Mapped[int] = mapped_column(Integer)
    resolution_s: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SlaBreach(Base):
    """An SLA target a hand-over missed (first response, next response or resolution), recorded once per deadline."""

    __tablename__ = "desk_sla_breaches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("desk_escalations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    breached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_desk_sla_breaches_once", "escalation_id", "kind", "due_at", unique=True),
                      Index("ix_desk_sla_breaches_breached_at", "breached_at"))


class Message(Base):
    """A message of a hand-over: the customer's (relayed by the bot), an agent's, or one the bot said."""

    __tablename__ = "desk_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("desk_escalations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    frustration: Mapped[float | None] = mapped_column(Float, nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("desk_agents.id"), nullable=True)
    # Rasa's message_id for customer messages: a message relayed twice (a retry, a backfill) is stored once.
    source_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Agent messages: set by the bot once it has sent the message on the customer's channel.
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # An image or file sent with the message (desk/attachments.py); its text is then a caption or "[图片] name".
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("desk_attachments.id"), nullable=True)
    agent: Mapped[Agent | None] = relationship()
    attachment: Mapped[Attachment | None] = relationship(lazy="selectin")


class Attachment(Base):
    """A file a customer or an agent sent in a hand-over: kept under the attachments folder, fetched by its token."""

    __tablename__ = "desk_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Unguessable: /files/{token} is the file's only address, given to the conversation's two sides.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where the file store keeps it ("ab/<token>.png" under the attachments folder).
    key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Note(Base):
    """An internal note on a hand-over; customers never see it."""

    __tablename__ = "desk_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("desk_escalations.id", ondelete="CASCADE"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("desk_agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    agent: Mapped[Agent] = relationship()


class Rating(Base):
    """A customer's satisfaction rating (1 to 5) after a hand-over, their 0-10 recommendation score (NPS), and an
    optional comment."""

    __tablename__ = "desk_ratings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("desk_escalations.id"), nullable=True, unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("desk_agents.id"), nullable=True)
    score: Mapped[int] = mapped_column(Integer)
    # 0-10: how likely the customer is to recommend the shop (asked after the rating; None when not answered).
    nps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Ticket(Base):
    """A message left when no agent could take the conversation, with how to reach the customer."""

    __tablename__ = "desk_tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("desk_agents.id"), nullable=True)


class CannedReply(Base):
    """A ready-made reply agents insert (with `/shortcut` in the reply box); admins edit them."""

    __tablename__ = "desk_canned_replies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    language: Mapped[str] = mapped_column(String(8), index=True)
    title: Mapped[str] = mapped_column(String(128))
    # A template: {customer_name}, {order_id} and {agent_name} are filled from the conversation (desk/templates.py).
    text: Mapped[str] = mapped_column(Text)
    shortcut: Mapped[str | None] = mapped_column(String(32), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_desk_canned_replies_shortcut", "language", "shortcut", unique=True),)


class Event(Base):
    """A change the consoles must show live; every write appends one in the same transaction, consoles tail it."""

    __tablename__ = "desk_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # escalation, message, note, ticket, canned, label, sla, sla_targets, team
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Compensation(Base):
    """A coupon, points or a refund given to a customer: granted within the giver's limit, or waiting for a
    supervisor (pending) who approves or declines it. One row per idempotency key: a retry never grants twice."""

    __tablename__ = "desk_compensations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    # Whose cap it counts against: the shop's customer id when known, else the conversation.
    customer: Mapped[str] = mapped_column(String(128), index=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("desk_escalations.id", ondelete="SET NULL"),
                                                      nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)  # in yuan, for the limits, the cap and the cost figures
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # granted, pending, approved, declined
    requested_by: Mapped[str] = mapped_column(String(64))  # "bot" or the agent's username
    requester_role: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    code: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the coupon or refund reference issued
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The status the customer was last told, so a repeated notice is not said twice.
    told: Mapped[str | None] = mapped_column(String(16), nullable=True)


class CustomerLink(Base):
    """A conversation of a customer the shop vouched for (a signed `customer_id`, kefu/identity.py): the bot reads
    the history of all of them, whatever the channel. Unverified conversations are never linked."""

    __tablename__ = "desk_customer_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_key: Mapped[str] = mapped_column(String(128), index=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_desk_customer_links_pair", "customer_key", "conversation_id", unique=True),)


class AuditEntry(Base):
    """Who saw or removed personal data, when, and in which conversation. Append-only: nothing updates or deletes it."""

    __tablename__ = "desk_audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))  # a username, or "system" for the command line
    action: Mapped[str] = mapped_column(String(32))  # reveal_escalation, reveal_ticket, purge, forget
    target: Mapped[str] = mapped_column(String(64), default="")  # escalation:12, ticket:3
    conversation_id: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def upgrade_schema(url: str) -> None:
    """Bring the desk tables to the newest migration (idempotent)."""
    engine = make_engine(url)
    upgrade(engine, MIGRATIONS)
    engine.dispose()


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker[Any]:
    """One engine and session factory per URL per process; the schema is upgraded on first use."""
    upgrade_schema(url)
    return sessionmaker(make_engine(url), expire_on_commit=False)
