from datetime import UTC, datetime, timedelta

import pytest

from desk.errors import InvalidInputError
from desk.queue import QueueRules, eta_minutes, in_service_hours, parse_days, priority

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # a Monday, 12:00 in Shanghai


def test_priority_weighs_frustration_tier_request_and_waiting() -> None:
    rules = QueueRules()
    calm = priority(0.1, "regular", "frustration", NOW, NOW, rules)
    angry = priority(0.9, "regular", "frustration", NOW, NOW, rules)
    vip = priority(0.1, "vip", "frustration", NOW, NOW, rules)
    asked = priority(0.1, "regular", "request", NOW, NOW, rules)
    waited = priority(0.1, "regular", "frustration", NOW - timedelta(minutes=10), NOW, rules)
    assert angry > vip > asked > calm
    assert waited == calm + 20


def test_eta_scales_with_position_and_agents() -> None:
    assert eta_minutes(1, 1, 300) == 5
    assert eta_minutes(3, 1, 300) == 15
    assert eta_minutes(3, 3, 300) == 5
    assert eta_minutes(1, 0, 30) == 1  # never "0 minutes", and no agent counts as one


def test_service_hours_in_the_configured_time_zone() -> None:
    day = QueueRules(service_hours="09:00-21:00", service_days="1-5", timezone="Asia/Shanghai")
    assert in_service_hours(NOW, day)
    assert not in_service_hours(NOW + timedelta(hours=10), day)  # 22:00 in Shanghai
    assert not in_service_hours(NOW - timedelta(days=1), day)  # Sunday
    night = QueueRules(service_hours="22:00-06:00", timezone="Asia/Shanghai")
    assert in_service_hours(NOW + timedelta(hours=10), night) and not in_service_hours(NOW, night)
    assert in_service_hours(NOW, QueueRules())  # the default: always


def test_bad_service_settings_are_clear_errors() -> None:
    assert parse_days("1-5,7") == {1, 2, 3, 4, 5, 7}
    with pytest.raises(InvalidInputError, match="between 1"):
        parse_days("0-8")
    with pytest.raises(InvalidInputError, match="09:00-21:00"):
        in_service_hours(NOW, QueueRules(service_hours="nine to five"))
