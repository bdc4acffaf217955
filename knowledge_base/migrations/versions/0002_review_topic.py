"""Review clusters get a topic: shop questions, or off-topic messages that ops may filter out.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add kb_review_clusters.topic (every existing cluster is about the shop)."""
    with op.batch_alter_table("kb_review_clusters") as batch:
        batch.add_column(sa.Column("topic", sa.String(16), nullable=False, server_default="shop"))
        batch.create_index("ix_kb_review_clusters_topic", ["topic"])


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("kb_review_clusters") as batch:
        batch.drop_index("ix_kb_review_clusters_topic")
        batch.drop_column("topic")
