"""The request inside greetings, fillers and courtesies (bot/courtesy.py)."""

from __future__ import annotations

import pytest

from bot.courtesy import trim


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("在吗 我要退款", "我要退款"),
        ("您好，我想投诉", "我想投诉"),
        ("我想问一下运费怎么算", "运费怎么算"),
        ("客服你好 在吗 我想问下优惠券怎么用", "优惠券怎么用"),
        ("亲，退货地址在哪", "退货地址在哪"),
        ("亲亲 积分能抵现吗", "积分能抵现吗"),
        ("麻烦问下 尺码怎么选", "尺码怎么选"),
        ("hi there, how do I change my address", "how do I change my address"),
        ("excuse me where do i enter a promo code", "where do i enter a promo code"),
        ("怎么改地址 谢谢", "怎么改地址"),
        ("退货地址 谢谢", "退货地址"),
        ("积分怎么用呀", "积分怎么用"),
        ("hey can i return this pls", "can i return this"),
    ],
)
def test_the_request_is_cut_out_of_its_wrapping(text: str, wanted: str) -> None:
    trimmed = trim(text)
    assert trimmed.request == wanted and trimmed.changed
    assert text.startswith(trimmed.opener) and text.endswith(trimmed.closer)


@pytest.mark.parametrize(
    "text",
    [
        # Nothing else remains, or what remains is no request of its own.
        "你好", "你好吗", "在吗", "在吗 有人吗", "请问", "问一下", "hi", "hi there", "hello", "谢谢", "thanks",
        "thank you so much", "好的谢谢", "ok thanks", "got it thanks", "退款 谢谢",
        # Look like a wrapping, are not one.
        "亲子装有吗", "你好像没发货", "发票呢", "我要退货", "hiking boots sizing", "so many items missing",
    ],
)
def test_a_greeting_or_a_short_reply_is_left_as_it_is(text: str) -> None:
    assert trim(text).request == text and not trim(text).changed
