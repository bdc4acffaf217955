"""Teams: skills routing by the hand-over's category (the knowledge base's or the intent), members, auto-assignment
switched per team

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# (name, categories): a starting set, frozen as of this revision, with no members yet (so every hand-over still goes
# to anyone until an admin adds people); the categories are the demo knowledge base's and Rasa's intents.
DEFAULTS = [
    ("After-sales", ["returns_refunds", "warranty_repair", "product_care", "complaints", "complain"]),
    ("Invoices & payment", ["invoices", "payment", "coupons"]),
    ("Orders & shipping", ["orders", "shipping", "check_order_status"]),
]


def upgrade() -> None:
    """Apply."""
    teams = op.create_table(
        'desk_teams',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('name', sa.String(64), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('auto_assign', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index('ix_desk_teams_name', 'desk_teams', ['name'], unique=True)
    op.create_table(
        'desk_team_members',
        sa.Column('team_id', sa.Integer(), sa.ForeignKey('desk_teams.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('agent_id', sa.Integer(), sa.ForeignKey('desk_agents.id', ondelete='CASCADE'), primary_key=True),
    )
    with op.batch_alter_table('desk_escalations') as batch:
        batch.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('category', sa.String(64), nullable=True))
        batch.create_foreign_key('fk_desk_escalations_team', 'desk_teams', ['team_id'], ['id'], ondelete='SET NULL')
    op.bulk_insert(teams, [{"name": name, "categories": categories, "auto_assign": True}
                           for name, categories in DEFAULTS])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_escalations') as batch:
        batch.drop_constraint('fk_desk_escalations_team', type_='foreignkey')
        batch.drop_column('category')
        batch.drop_column('team_id')
    op.drop_table('desk_team_members')
    op.drop_index('ix_desk_teams_name', table_name='desk_teams')
    op.drop_table('desk_teams')
