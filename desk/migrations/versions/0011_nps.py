"""Net Promoter Score: the customer's 0-10 answer to "how likely are you to recommend us", with the CSAT rating

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table('desk_ratings') as batch:
        batch.add_column(sa.Column('nps', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_ratings') as batch:
        batch.drop_column('nps')
