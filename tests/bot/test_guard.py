import pytest

from bot.channels.guard import MessageRejected, clean_sender, clean_text, max_chars_from


def test_clean_text_strips_control_characters_and_whitespace() -> None:
    assert clean_text("  hi\x00 there\x07 ", 100) == "hi there"
    assert clean_text("line1\nline2", 100) == "line1\nline2"


@pytest.mark.parametrize(
    ("text", "status", "reason"),
    [
        ("", 400, "EmptyMessage"),
        ("   \x00\x01", 400, "EmptyMessage"),
        (None, 400, "InvalidMessage"),
        (123, 400, "InvalidMessage"),
        ("x" * 101, 413, "MessageTooLong"),
    ],
)
def test_clean_text_rejects(text: object, status: int, reason: str) -> None:
    with pytest.raises(MessageRejected) as info:
        clean_text(text, 100)
    assert (info.value.status, info.value.reason) == (status, reason)
    assert info.value.as_dict()["status"] == "failure"


def test_lone_surrogates_are_removed() -> None:
    assert clean_text("ok\ud800", 10) == "ok"


def test_sender_rules() -> None:
    assert clean_sender(42) == "42"
    assert clean_sender(" abc ") == "abc"
    for bad in (None, True, "", "x" * 200, {"a": 1}):
        with pytest.raises(MessageRejected):
            clean_sender(bad)


def test_max_chars_from_credentials() -> None:
    assert max_chars_from(None) == 2000
    assert max_chars_from({"max_message_chars": "500"}) == 500
    with pytest.raises(ValueError):
        max_chars_from({"max_message_chars": "lots"})


def test_browsers_cannot_set_the_customer_tier() -> None:
    from bot.channels.guard import browser_metadata

    assert browser_metadata({"customer_tier": "vip", "tier": "vip", "page": "/checkout"}) == {"page": "/checkout"}
    assert browser_metadata(None) == {}
