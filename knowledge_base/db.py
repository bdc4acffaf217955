"""Tables of the knowledge base (SQLAlchemy 2), the engine, and schema upgrades through Alembic."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from kefu.db import make_engine, upgrade, utcnow

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "kb_alembic_version"


class Base(DeclarativeBase):
    """Declarative base of the knowledge-base tables (all prefixed kb_)."""


class Entry(Base):
    """One FAQ entry: an answer per language and the question variants that lead to it."""

    __tablename__ = "kb_entries"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(64), default="general")
    status: Mapped[str] = mapped_column(String(16), default="published", index=True)
    author: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    answers: Mapped[list[Answer]] = relationship(back_populates="entry", cascade="all, delete-orphan")
    tier_answers: Mapped[list[TierAnswer]] = relationship(back_populates="entry", cascade="all, delete-orphan")
    variants: Mapped[list[Variant]] = relationship(
        back_populates="entry", cascade="all, delete-orphan", order_by="Variant.id"
    )


class Answer(Base):
    """An entry's answer in one language."""

    __tablename__ = "kb_answers"
    entry_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="answers")


class TierAnswer(Base):
    """An entry's answer for the customers of one tier, in one language (free pick-up for 金卡 members): given
    instead of the entry's answer to a customer of that tier."""

    __tablename__ = "kb_tier_answers"
    entry_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="tier_answers")


class Variant(Base):
    """One phrasing of an entry's question."""

    __tablename__ = "kb_variants"
    __table_args__ = (UniqueConstraint("entry_id", "lang", "text", name="uq_kb_variant"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("kb_entries.id", ondelete="CASCADE"), index=True)
    lang: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    entry: Mapped[Entry] = relationship(back_populates="variants")


class FollowUp(Base):
    """A question customers often ask next, after the bot answered an entry (knowledge_base/follow_ups.py): counted
    from the stored conversations by a job; the bot offers the most frequent ones ops left switched on."""

    __tablename__ = "kb_follow_ups"
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Conversations in which the next entry was asked after this one, and their share of this entry's conversations.
    count: Mapped[int] = mapped_column(Integer, default=0)
    share: Mapped[float] = mapped_column(Float, default=0.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    switched_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Revision(Base):
    """An entry as it was after one change: who, when, what; any revision can be restored."""

    __tablename__ = "kb_revisions"
    __table_args__ = (UniqueConstraint("entry_id", "number", name="uq_kb_revision"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[int] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class CachedEmbedding(Base):
    """A text's vector under one model and prefix, so publishing re-embeds only what is new."""

    __tablename__ = "kb_embeddings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of model, prefix and text
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class State(Base):
    """Small key/value facts, such as the published index version."""

    __tablename__ = "kb_state"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ReviewCluster(Base):
    """Questions the bot could not answer, grouped by meaning, until ops staff resolve or dismiss them."""

    __tablename__ = "kb_review_clusters"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # "shop" (questions the KB should answer) or "off_topic" (weather, poems: kept apart so ops can filter them).
    topic: Mapped[str] = mapped_column(String(16), default="shop", server_default="shop", index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    centroid: Mapped[bytes] = mapped_column(LargeBinary)
    resolution: Mapped[str | None] = mapped_column(String(16), nullable=True)
    resolved_faq_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    items: Mapped[list[ReviewItem]] = relationship(back_populates="cluster", order_by="ReviewItem.id")


class ReviewItem(Base):
    """One question the bot failed on: unresolved, answered unhelpfully, a clarification ignored, or off-topic."""

    __tablename__ = "kb_review_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8))
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    failed_faq_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # kind "agent_answer": the answer an agent gave a customer, proposed for the knowledge base from the desk.
    proposed_answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    proposed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("kb_review_clusters.id"), index=True)
    cluster: Mapped[ReviewCluster] = relationship(back_populates="items")


def upgrade_schema(engine: Engine) -> None:
    """Bring the knowledge-base tables to the newest migration (idempotent)."""
    upgrade(engine, MIGRATIONS)


@lru_cache(maxsize=8)
def session_factory(url: str) -> sessionmaker[Any]:
    """One engine and session factory per URL per process; the schema is upgraded on first use."""
    engine = make_engine(url)
    upgrade_schema(engine)
    return sessionmaker(engine, expire_on_commit=False)
