"""Knowledge base: entries, answers, variants, revisions, embedding cache, state, review queue.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "kb_answers",
        sa.Column("entry_id", sa.String(64), sa.ForeignKey("kb_entries.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("lang", sa.String(8), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "kb_variants",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), sa.ForeignKey("kb_entries.id", ondelete="CASCADE"), index=True),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.UniqueConstraint("entry_id", "lang", "text", name="uq_kb_variant"),
    )
    op.create_table(
        "kb_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(64), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.UniqueConstraint("entry_id", "number", name="uq_kb_revision"),
    )
    op.create_table(
        "kb_embeddings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "kb_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "kb_review_clusters",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_seen", TZ, nullable=False),
        sa.Column("last_seen", TZ, nullable=False),
        sa.Column("centroid", sa.LargeBinary, nullable=False),
        sa.Column("resolution", sa.String(16), nullable=True),
        sa.Column("resolved_faq_id", sa.String(64), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "kb_review_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("conversation_id", sa.String(128), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("failed_faq_id", sa.String(64), nullable=True),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("kb_review_clusters.id"), nullable=False, index=True),
    )


def downgrade() -> None:
    """Drop the tables."""
    for table in ("kb_review_items", "kb_review_clusters", "kb_state", "kb_embeddings", "kb_revisions",
                  "kb_variants", "kb_answers", "kb_entries"):
        op.drop_table(table)
