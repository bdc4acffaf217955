from datetime import UTC, datetime, timedelta

import pytest

from desk.errors import InvalidInputError
from desk.queue import QueueRules, eta_minutes, hours_text, in_service_hours, parse_days, priority

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


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 given in Shanghai time (the 23rd is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_hours_per_weekday_with_a_lunch_break_and_a_day_off() -> None:
    rules = QueueRules(week_hours="mon-fri 09:00-21:00; sat 10:00-12:00,13:00-18:00; sun closed")
    assert in_service_hours(shanghai(23, 9), rules) and not in_service_hours(shanghai(23, 8, 59), rules)
    assert not in_service_hours(shanghai(23, 21), rules)
    assert in_service_hours(shanghai(28, 11), rules)  # Saturday morning
    assert not in_service_hours(shanghai(28, 12, 30), rules)  # Saturday lunch
    assert not in_service_hours(shanghai(29, 11), rules)  # Sunday
    assert hours_text(rules, "zh", shanghai(23, 12)) == \
        "周一至周五 09:00-21:00，周六 10:00-12:00,13:00-18:00 (Asia/Shanghai)"
    assert hours_text(rules, "en", shanghai(23, 12)) == \
        "Mon–Fri 09:00-21:00, Sat 10:00-12:00,13:00-18:00 (Asia/Shanghai)"


def test_holidays_close_the_day_but_not_the_night_shift_begun_before() -> None:
    rules = QueueRules(week_hours="mon-sun 20:00-02:00", holidays="2026-11-25")
    assert in_service_hours(shanghai(24, 23), rules)
    assert in_service_hours(shanghai(25, 1), rules)  # Tuesday's shift runs into the holiday
    assert not in_service_hours(shanghai(25, 21), rules)  # the holiday's own evening
    assert not in_service_hours(shanghai(26, 1), rules)  # no shift began on the holiday
    assert in_service_hours(shanghai(26, 20), rules)
    assert hours_text(rules, "zh", shanghai(25, 21)).endswith("，今天是节假日休息")
    simple = QueueRules(service_hours="09:00-21:00", holidays="2026-11-23..2026-11-24")
    assert not in_service_hours(shanghai(23, 12), simple) and not in_service_hours(shanghai(24, 12), simple)
    assert in_service_hours(shanghai(25, 12), simple)
    assert hours_text(simple, "en", shanghai(25, 12)) == "09:00-21:00 (Asia/Shanghai)"
