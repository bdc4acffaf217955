"""Compensations of service recovery: what was granted, requested, approved or declined, once per idempotency key

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table('desk_compensations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('customer', sa.String(length=128), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('requester_role', sa.String(length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('told', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['escalation_id'], ['desk_escalations.id'], name='fk_desk_compensations_escalation_id',
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', name='uq_desk_compensations_key')
    )
    with op.batch_alter_table('desk_compensations', schema=None) as batch_op:
        batch_op.create_index('ix_desk_compensations_conversation_id', ['conversation_id'], unique=False)
        batch_op.create_index('ix_desk_compensations_customer', ['customer'], unique=False)
        batch_op.create_index('ix_desk_compensations_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_table('desk_compensations')
