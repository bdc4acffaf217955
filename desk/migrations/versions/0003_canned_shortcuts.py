"""Canned replies an admin edits: a `/` shortcut per reply (unique in its language), when it last changed, and the
default replies as templates with variables (added once here, so deleting them all does not bring them back)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# (language, title, shortcut, text): the defaults, frozen as of this revision.
DEFAULTS = [
    ("zh", "问候", "hi", "{customer_name|您}好，我是人工客服{agent_name}，很高兴为您服务。我已经看过您和机器人的对话，"
                          "请问还有什么需要补充的吗？"),
    ("zh", "稍等", "wait", "好的，我帮您查一下{order_id}，请稍等一两分钟。"),
    ("zh", "退款进度", "refund", "退款已提交，一般 1–3 个工作日原路退回，请留意银行或支付宝的到账通知。"),
    ("zh", "结束", "bye", "请问还有其他可以帮您的吗？如果没有，我先结束这次服务，祝您生活愉快！"),
    ("en", "Greeting", "hi", "Hi {customer_name}, I'm {agent_name} from the support team. I've read your chat with "
                             "the bot. Is there anything you'd like to add?"),
    ("en", "One moment", "wait", "Thanks, let me check {order_id} for you. It'll take a minute or two."),
    ("en", "Refund timing", "refund", "Your refund has been submitted and usually reaches the original payment "
                                      "method within 1–3 business days."),
    ("en", "Closing", "bye", "Is there anything else I can help with? If not, I'll close this chat. Have a great day!"),
]


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table('desk_canned_replies') as batch:
        batch.add_column(sa.Column('shortcut', sa.String(32), nullable=True))
        batch.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_desk_canned_replies_shortcut', ['language', 'shortcut'], unique=True)
    table = sa.table('desk_canned_replies', sa.column('id', sa.Integer), sa.column('language', sa.String),
                     sa.column('title', sa.String), sa.column('shortcut', sa.String), sa.column('text', sa.Text))
    bind = op.get_bind()
    existing = {(lang, title): row_id for row_id, lang, title in
                bind.execute(sa.select(table.c.id, table.c.language, table.c.title)).all()}
    if not existing:
        op.bulk_insert(table, [{"language": lang, "title": title, "shortcut": cut, "text": text}
                               for lang, title, cut, text in DEFAULTS])
        return
    # Replies could not be edited before this revision, so rows titled like a default are the old defaults.
    for lang, title, cut, text in DEFAULTS:
        row_id = existing.get((lang, title))
        if row_id is not None:
            bind.execute(table.update().where(table.c.id == row_id).values(shortcut=cut, text=text))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table('desk_canned_replies') as batch:
        batch.drop_index('ix_desk_canned_replies_shortcut')
        batch.drop_column('updated_at')
        batch.drop_column('shortcut')
