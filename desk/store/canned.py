"""Canned replies agents insert (the defaults fill an empty table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from desk.db import CannedReply
from desk.store.base import StoreBase

DEFAULT_CANNED = [
    ("zh", "问候", "您好，我是人工客服，很高兴为您服务。我已经看过您和机器人的对话，请问还有什么需要补充的吗？"),
    ("zh", "稍等", "好的，我帮您查一下，请稍等一两分钟。"),
    ("zh", "退款进度", "退款已提交，一般 1–3 个工作日原路退回，请留意银行或支付宝的到账通知。"),
    ("zh", "结束", "请问还有其他可以帮您的吗？如果没有，我先结束这次服务，祝您生活愉快！"),
    ("en", "Greeting", "Hi, I'm a member of the support team. I've read your chat with the bot. Is there anything "
                       "you'd like to add?"),
    ("en", "One moment", "Thanks, let me check that for you. It'll take a minute or two."),
    ("en", "Refund timing", "Your refund has been submitted and usually reaches the original payment method "
                            "within 1–3 business days."),
    ("en", "Closing", "Is there anything else I can help with? If not, I'll close this chat. Have a great day!"),
]


class CannedReplies(StoreBase):
    """Canned replies agents insert (the defaults fill an empty table)."""

    def canned(self, language: str | None = None) -> list[dict[str, Any]]:
        """Canned replies (the defaults are added to an empty table)."""
        with self.session() as s:
            if not s.scalar(select(func.count(CannedReply.id))):
                s.add_all(CannedReply(language=lang, title=title, text=body) for lang, title, body in DEFAULT_CANNED)
                s.flush()
            query = select(CannedReply).order_by(CannedReply.id)
            if language:
                query = query.where(CannedReply.language == language)
            return [{"id": c.id, "language": c.language, "title": c.title, "text": c.text}
                    for c in s.scalars(query).all()]
