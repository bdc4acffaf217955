"""Audit log: reveals of masked personal data, purges and forget-me requests

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table('desk_audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('desk_audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_audit_log_conversation_id'), ['conversation_id'], unique=False)


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_audit_log_conversation_id'))
        batch_op.drop_index(batch_op.f('ix_desk_audit_log_at'))
    op.drop_table('desk_audit_log')
