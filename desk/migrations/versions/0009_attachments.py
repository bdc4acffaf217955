"""Attachments of hand-overs: images and files customers and agents send, and the message each came with

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    op.create_table('desk_attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token', name='uq_desk_attachments_token')
    )
    with op.batch_alter_table('desk_attachments', schema=None) as batch_op:
        batch_op.create_index('ix_desk_attachments_conversation_id', ['conversation_id'], unique=False)
    with op.batch_alter_table('desk_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_desk_messages_attachment_id', 'desk_attachments', ['attachment_id'], ['id'])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_desk_messages_attachment_id', type_='foreignkey')
        batch_op.drop_column('attachment_id')
    with op.batch_alter_table('desk_attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_attachments_conversation_id')
    op.drop_table('desk_attachments')
