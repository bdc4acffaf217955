"""Labels: the list an admin keeps (refund, logistics, …) and the labels agents put on conversations

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# (name, colour): a starting list, frozen as of this revision; admins rename, recolour or delete them.
DEFAULTS = [("refund", "red"), ("logistics", "blue"), ("complaint", "orange"), ("invoice", "green"),
            ("VIP complaint", "purple")]


def upgrade() -> None:
    """Apply."""
    labels = op.create_table(
        'desk_labels',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('name', sa.String(48), nullable=False),
        sa.Column('color', sa.String(16), nullable=False, server_default='grey'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_desk_labels_name', 'desk_labels', ['name'], unique=True)
    op.create_table(
        'desk_escalation_labels',
        sa.Column('escalation_id', sa.Integer(), sa.ForeignKey('desk_escalations.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('label_id', sa.Integer(), sa.ForeignKey('desk_labels.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('agent_id', sa.Integer(), sa.ForeignKey('desk_agents.id'), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_desk_escalation_labels_label', 'desk_escalation_labels', ['label_id'])
    op.bulk_insert(labels, [{"name": name, "color": color} for name, color in DEFAULTS])


def downgrade() -> None:
    """Revert."""
    op.drop_index('ix_desk_escalation_labels_label', table_name='desk_escalation_labels')
    op.drop_table('desk_escalation_labels')
    op.drop_index('ix_desk_labels_name', table_name='desk_labels')
    op.drop_table('desk_labels')
