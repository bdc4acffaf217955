"""The shop's own customer id on each hand-over (message metadata `customer_id`), to find the customer's other
conversations across channels for the contact profile

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table('desk_escalations') as batch:
        batch.add_column(sa.Column('customer_key', sa.String(128), nullable=True))
        batch.create_index('ix_desk_escalations_customer_key', ['customer_key'])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_escalations') as batch:
        batch.drop_index('ix_desk_escalations_customer_key')
        batch.drop_column('customer_key')
