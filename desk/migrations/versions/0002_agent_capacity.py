"""Agents' capacity for auto-assignment

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table('desk_agents') as batch:
        batch.add_column(sa.Column('capacity', sa.Integer(), nullable=False, server_default=sa.text('3')))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_agents') as batch:
        batch.drop_column('capacity')
