"""Personal data is found and masked in both languages; order and tracking numbers stay visible."""

from __future__ import annotations

import logging

import pytest

from kefu.pii import RedactingFilter, find, mask


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("我的手机号是13812345678，到了打给我", "phone", "13812345678"),
    ("电话 +86 139-1234-5678", "phone", "+86 139-1234-5678"),
    ("手机１３８１２３４５６７８", "phone", "１３８１２３４５６７８"),
    ("Call me at (415) 555-0132 after six", "phone", "(415) 555-0132"),
    ("座机 010-62751234 白天有人", "phone", "010-62751234"),
    ("发票寄到邮箱wang.li+inv@corp.example.com.cn", "email", "wang.li+inv@corp.example.com.cn"),
    ("身份证110105199003071239", "id_number", "110105199003071239"),
    ("refund to card 6222 0212 3456 7894 please", "bank_card", "6222 0212 3456 7894"),
    ("改寄到上海市浦东新区张杨路500号3栋1201室，谢谢", "address", "上海市浦东新区张杨路500号3栋1201室"),
    ("ship to 45 Elm St Apt 3, Springfield, IL 62704 instead", "address", "45 Elm St Apt 3, Springfield, IL 62704"),
])
def test_each_kind_is_found(text: str, kind: str, value: str) -> None:
    assert [(f.kind, f.value) for f in find(text)] == [(kind, value)]


@pytest.mark.parametrize("text", [
    "订单KF20231123018到哪了", "order 2023112300012345 was due Monday", "单号1234567890",
    "顺丰单号SF1402938475612", "总价¥1299.00，2026-11-25 下单", "coupon SAVE20 on SKU 100234",
    "我在上海浦东，3栋", "see lanshan.example.com/help", "身份证号写错了", "card ending in 8814",
])
def test_order_numbers_and_everyday_numbers_stay(text: str) -> None:
    assert find(text) == []
    assert mask(text) == text


def test_an_id_number_needs_its_check_digit() -> None:
    assert find("110105199003071234") == []  # the last digit is wrong


def test_masks_keep_what_people_read_back() -> None:
    masked = mask("订单KF20231120007改电话13912345678，邮箱zhang@example.com，地址北京市朝阳区建国路88号")
    assert masked == "订单KF20231120007改电话*******5678，邮箱z***@example.com，地址[地址]"
    assert mask("card 4111 1111 1111 1111") == "card **** **** **** 1111"
    assert mask("send it to 221B Baker Street, London") == "send it to [address]"


def test_the_log_filter_masks_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("kefu.test.pii")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="kefu.test.pii"):
        logger.info("customer said %s", "call 13812345678")
    assert caplog.records[0].getMessage() == "customer said call *******5678"


def test_masking_is_remembered_for_short_texts_and_done_anew_for_long_ones() -> None:
    from kefu import pii

    text = "电话 13800138000，订单 KF20231123018"
    assert mask(text) == mask(text) == "电话 *******8000，订单 KF20231123018"
    hits = pii._mask_remembered.cache_info().hits
    mask(text)
    assert pii._mask_remembered.cache_info().hits == hits + 1
    long = " ".join(["my email is zhang.wei@example.com"] * 40)
    assert len(long) > pii.CACHED_MAX_CHARS and "zhang.wei@" not in mask(long) and "z***@example.com" in mask(long)
