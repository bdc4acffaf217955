"""Customer links: the conversations, on any channel, of a customer whose shop id was signed (kefu/identity.py)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        'desk_customer_links',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('customer_key', sa.String(length=128), nullable=False),
        sa.Column('conversation_id', sa.String(length=128), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_desk_customer_links_customer_key', 'desk_customer_links', ['customer_key'])
    op.create_index('ix_desk_customer_links_conversation_id', 'desk_customer_links', ['conversation_id'])
    op.create_index('ix_desk_customer_links_pair', 'desk_customer_links', ['customer_key', 'conversation_id'],
                    unique=True)


def downgrade() -> None:
    """Revert."""
    op.drop_table('desk_customer_links')
