"""Handoff desk: agents, sessions, escalations, messages, notes, ratings, tickets, canned replies, events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None
ACTIVE = sa.text("status IN ('waiting', 'claimed')")


def upgrade() -> None:
    """Apply."""
    op.create_table('desk_agents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('desk_canned_replies',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('desk_canned_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_canned_replies_language'), ['language'], unique=False)

    op.create_table('desk_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('desk_escalations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('frustration', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('told_position', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['desk_agents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('desk_escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_escalations_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index('ix_desk_escalations_one_active', ['conversation_id'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.create_index(batch_op.f('ix_desk_escalations_status'), ['status'], unique=False)

    op.create_table('desk_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['desk_agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('desk_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_sessions_agent_id'), ['agent_id'], unique=False)

    op.create_table('desk_tickets',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('contact', sa.String(length=256), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by'], ['desk_agents.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('desk_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_tickets_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_tickets_status'), ['status'], unique=False)

    op.create_table('desk_messages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sentiment', sa.JSON(), nullable=True),
    sa.Column('frustration', sa.Float(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['desk_agents.id'], ),
    sa.ForeignKeyConstraint(['escalation_id'], ['desk_escalations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_id')
    )
    with op.batch_alter_table('desk_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_messages_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('desk_notes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['desk_agents.id'], ),
    sa.ForeignKeyConstraint(['escalation_id'], ['desk_escalations.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('desk_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_notes_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('desk_ratings',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['desk_agents.id'], ),
    sa.ForeignKeyConstraint(['escalation_id'], ['desk_escalations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('escalation_id')
    )
    with op.batch_alter_table('desk_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_ratings_conversation_id'), ['conversation_id'], unique=False)



def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_ratings_conversation_id'))

    op.drop_table('desk_ratings')
    with op.batch_alter_table('desk_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_notes_escalation_id'))

    op.drop_table('desk_notes')
    with op.batch_alter_table('desk_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_messages_escalation_id'))

    op.drop_table('desk_messages')
    with op.batch_alter_table('desk_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_tickets_status'))
        batch_op.drop_index(batch_op.f('ix_desk_tickets_conversation_id'))

    op.drop_table('desk_tickets')
    with op.batch_alter_table('desk_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_sessions_agent_id'))

    op.drop_table('desk_sessions')
    with op.batch_alter_table('desk_escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_escalations_status'))
        batch_op.drop_index('ix_desk_escalations_one_active', sqlite_where=ACTIVE, postgresql_where=ACTIVE)
        batch_op.drop_index(batch_op.f('ix_desk_escalations_conversation_id'))

    op.drop_table('desk_escalations')
    op.drop_table('desk_events')
    with op.batch_alter_table('desk_canned_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_canned_replies_language'))

    op.drop_table('desk_canned_replies')
    op.drop_table('desk_agents')
