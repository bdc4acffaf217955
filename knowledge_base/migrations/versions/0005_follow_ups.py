"""Follow-up questions learned from the conversations: what customers ask next after an entry, and ops' switch.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create kb_follow_ups."""
    op.create_table(
        "kb_follow_ups",
        sa.Column("entry_id", sa.String(64), nullable=False),
        sa.Column("next_id", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("switched_by", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "next_id"),
    )


def downgrade() -> None:
    """Drop kb_follow_ups."""
    op.drop_table("kb_follow_ups")
