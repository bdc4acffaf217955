"""The compensation policy's rules: limits per role, the customer cap, what points are worth, and the wording."""

from __future__ import annotations

import pytest

from kefu.compensation import Policy, describe, parse_cap, parse_limits


def test_limits_need_every_role_in_order() -> None:
    assert parse_limits("bot=10; agent=50; supervisor=500") == {"bot": 10, "agent": 50, "supervisor": 500}
    for bad in ("bot=10; agent=50", "bot=60; agent=50; supervisor=500", "bot=ten; agent=50; supervisor=500",
                "cashier=5; bot=10; agent=50; supervisor=500"):
        with pytest.raises(ValueError):
            parse_limits(bad)


def test_the_cap_is_yuan_per_days() -> None:
    assert parse_cap("300/30d") == (300, 30)
    for bad in ("300", "300/0d", "/30d", "300 per month"):
        with pytest.raises(ValueError):
            parse_cap(bad)


def test_values_and_limits() -> None:
    policy = Policy.parse("bot=10; agent=50; supervisor=500", "300/30d", points_per_yuan=100)
    assert policy.value("coupon", 20) == 20 and policy.value("points", 500) == 5
    assert policy.limit("admin") == 500 and policy.limit("ops") == 0
    for kind, amount in (("cash", 5), ("coupon", 0), ("coupon", -3)):
        with pytest.raises(ValueError):
            policy.value(kind, amount)


def test_what_the_customer_gets_is_worded_in_their_language() -> None:
    assert describe("coupon", 10, "zh") == "一张 10 元优惠券" and describe("coupon", 10.0, "en") == "a ¥10 coupon"
    assert describe("points", 500, "zh") == "500 积分"
    assert describe("shipping_refund", 8, "en") == "a ¥8 shipping refund"
