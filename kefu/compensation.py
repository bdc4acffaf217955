"""The compensation policy of service recovery: what may be given (coupon, points, shipping refund, partial refund),
how much each role may give on its own (the bot, an agent, a supervisor), and how much one customer may get in a
period. Pure rules, no storage: the desk's store applies them (desk/store/compensation.py).

    KEFU_COMPENSATION_LIMITS="bot=10; agent=50; supervisor=500"   # yuan each may grant without asking anyone
    KEFU_COMPENSATION_CUSTOMER_CAP="300/30d"                        # yuan one customer may get in 30 days

Points count at KEFU_COMPENSATION_POINTS_PER_YUAN (100 points = ¥1) against the limits and the cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each kind and the unit of its amount.
KINDS = {"coupon": "yuan", "points": "points", "shipping_refund": "yuan", "partial_refund": "yuan"}
ROLES = ("bot", "agent", "supervisor")
_LIMIT = re.compile(r"^\s*(bot|agent|supervisor)\s*=\s*(\d+(?:\.\d+)?)\s*$")
_CAP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(\d+)\s*d\s*$")


def parse_limits(text: str) -> dict[str, float]:
    """"bot=10; agent=50; supervisor=500" → {role: yuan}; every role must be given, each no higher than the next."""
    limits: dict[str, float] = {}
    for part in filter(str.strip, text.split(";")):
        match = _LIMIT.match(part)
        if match is None:
            raise ValueError(f"a compensation limit looks like agent=50 (roles: {', '.join(ROLES)}), not {part!r}")
        limits[match.group(1)] = float(match.group(2))
    missing = [r for r in ROLES if r not in limits]
    if missing:
        raise ValueError(f"compensation limits need every role: {', '.join(missing)} missing")
    if not limits["bot"] <= limits["agent"] <= limits["supervisor"]:
        raise ValueError("compensation limits must grow bot ≤ agent ≤ supervisor")
    return limits


def parse_cap(text: str) -> tuple[float, int]:
    """"300/30d" → (yuan, days): what one customer may get in total within that many days."""
    match = _CAP.match(text)
    if match is None or int(match.group(2)) < 1:
        raise ValueError(f"a customer's cap looks like 300/30d (yuan per days), not {text!r}")
    return float(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class Policy:
    """Limits per role, the cap per customer, and how points count."""

    limits: dict[str, float]
    cap_yuan: float
    cap_days: int
    points_per_yuan: int = 100

    @classmethod
    def parse(cls, limits: str, cap: str, points_per_yuan: int = 100) -> Policy:
        """The policy from its settings' text."""
        cap_yuan, cap_days = parse_cap(cap)
        return cls(parse_limits(limits), cap_yuan, cap_days, points_per_yuan)

    def value(self, kind: str, amount: float) -> float:
        """What a grant is worth in yuan (points at the configured rate); ValueError for an unknown kind or amount."""
        if kind not in KINDS:
            raise ValueError(f"unknown compensation kind {kind!r}; one of {', '.join(KINDS)}")
        if not amount > 0:
            raise ValueError("a compensation amount is above zero")
        return round(amount / self.points_per_yuan, 2) if KINDS[kind] == "points" else round(float(amount), 2)

    def limit(self, role: str) -> float:
        """What this role may grant on its own (an admin as a supervisor; ops and unknown roles nothing)."""
        if role == "admin":
            role = "supervisor"
        return self.limits.get(role, 0.0)


def describe(kind: str, amount: float, language: str) -> str:
    """What the customer gets, in their language: "一张 10 元优惠券", "a ¥10 coupon", "500 积分"…"""
    n = f"{amount:g}"
    zh = language == "zh"
    if kind == "coupon":
        return f"一张 {n} 元优惠券" if zh else f"a ¥{n} coupon"
    if kind == "points":
        return f"{n} 积分" if zh else f"{n} points"
    if kind == "shipping_refund":
        return f"{n} 元运费退款" if zh else f"a ¥{n} shipping refund"
    return f"{n} 元部分退款" if zh else f"a ¥{n} partial refund"
