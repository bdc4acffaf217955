"""Review items can carry an answer an agent proposed ("save as FAQ" in the desk), and who proposed it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add kb_review_items.proposed_answer and proposed_by."""
    with op.batch_alter_table("kb_review_items") as batch:
        batch.add_column(sa.Column("proposed_answer", sa.Text(), nullable=True))
        batch.add_column(sa.Column("proposed_by", sa.String(128), nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("kb_review_items") as batch:
        batch.drop_column("proposed_by")
        batch.drop_column("proposed_answer")
