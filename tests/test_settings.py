"""Settings refuse malformed structured values when they load, with the variable and the expected shape."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kefu.config import Settings


@pytest.mark.parametrize(("field", "value", "says"), [
    ("handoff_service_hours", "9点-21点", "09:00-21:00"),
    ("handoff_service_hours", "09:00-25:00", "09:00-21:00"),
    ("handoff_service_days", "1-8", "between 1 (Monday) and 7"),
    ("handoff_service_days", "Mon-Fri", "'1-5'"),
    ("handoff_timezone", "Asia/Shangai", "unknown time zone"),
    ("handoff_week_hours", "weekdays 9-5", "mon-fri 09:00-21:00"),
    ("handoff_week_hours", "mon-fri", "write 'closed'"),
    ("handoff_holidays", "10/01", "2026-10-01..2026-10-07"),
    ("handoff_holidays", "2026-10-07..2026-10-01", "runs backwards"),
    ("log_level", "LOUD", "log level"),
    ("console_port", 70000, "between 1 and 65535"),
    ("WECHAT_API_BASE", "api.weixin.qq.com", "http:// or https://"),
])
def test_a_typo_fails_at_start_naming_the_setting(field: str, value: object, says: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: value})
    message = str(caught.value)
    assert field in message and says in message


def test_well_formed_values_load_unchanged() -> None:
    settings = Settings(handoff_service_hours="21:00-09:00", handoff_service_days="1-5,7",
                        handoff_timezone="Europe/Berlin", log_level="DEBUG", WECHAT_API_BASE="http://127.0.0.1:9")
    assert (settings.handoff_service_hours, settings.handoff_service_days, settings.handoff_timezone) == (
        "21:00-09:00", "1-5,7", "Europe/Berlin")


def test_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_HANDOFF_SERVICE_HOURS", "9:00-21:70")
    with pytest.raises(ValidationError, match="09:00-21:00"):
        Settings()
