"""Auto-assignment: agents' capacity; which escalations were assigned automatically and whom they passed over

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
    with op.batch_alter_table('desk_escalations') as batch:
        batch.add_column(sa.Column('auto_assigned', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('passed_over', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_escalations') as batch:
        batch.drop_column('passed_over')
        batch.drop_column('auto_assigned')
    with op.batch_alter_table('desk_agents') as batch:
        batch.drop_column('capacity')
