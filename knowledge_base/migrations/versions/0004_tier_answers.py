"""Answers per customer tier: an entry may give the customers of a tier (金卡, vip) an answer of their own.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create kb_tier_answers."""
    op.create_table(
        "kb_tier_answers",
        sa.Column("entry_id", sa.String(64), sa.ForeignKey("kb_entries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "tier", "lang"),
    )


def downgrade() -> None:
    """Drop kb_tier_answers."""
    op.drop_table("kb_tier_answers")
