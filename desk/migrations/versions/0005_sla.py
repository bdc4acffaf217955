"""SLAs: when each hand-over was first answered and since when a customer message awaits an answer, the targets an
admin sets per level, and the breaches found

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table('desk_escalations') as batch:
        batch.add_column(sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('awaiting_since', sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        'desk_sla_targets',
        sa.Column('level', sa.String(16), primary_key=True),
        sa.Column('first_response_s', sa.Integer(), nullable=False),
        sa.Column('next_response_s', sa.Integer(), nullable=False),
        sa.Column('resolution_s', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'desk_sla_breaches',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('escalation_id', sa.Integer(), sa.ForeignKey('desk_escalations.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('breached_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_desk_sla_breaches_once', 'desk_sla_breaches', ['escalation_id', 'kind', 'due_at'],
                    unique=True)
    op.create_index('ix_desk_sla_breaches_breached_at', 'desk_sla_breaches', ['breached_at'])


def downgrade() -> None:
    """Revert."""
    op.drop_index('ix_desk_sla_breaches_breached_at', table_name='desk_sla_breaches')
    op.drop_index('ix_desk_sla_breaches_once', table_name='desk_sla_breaches')
    op.drop_table('desk_sla_breaches')
    op.drop_table('desk_sla_targets')
    with op.batch_alter_table('desk_escalations') as batch:
        batch.drop_column('awaiting_since')
        batch.drop_column('first_response_at')
