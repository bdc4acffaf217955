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


def test_a_customer_id_counts_only_with_the_shops_signature() -> None:
    from bot.channels.guard import identity_secret_from, with_checked_identity
    from kefu.identity import sign

    secret = identity_secret_from({"identity_secret": " shop-secret "})
    signed = {"customer_id": "u-42", "customer_signature": sign("u-42", "shop-secret"), "page": "/cart"}
    assert with_checked_identity(signed, secret, "web-1") == {"customer_id": "u-42", "customer_verified": True,
                                                              "page": "/cart"}
    forged = {"customer_id": "u-43", "customer_signature": sign("u-42", "shop-secret")}
    assert with_checked_identity(forged, secret, "web-1") == {"identity_refused": "forged"}
    # A client cannot mark itself verified, and without a secret nothing is trusted.
    assert with_checked_identity({"customer_id": "u-42", "customer_verified": True}, secret, "web-1") == {
        "identity_refused": "unsigned"}
    assert with_checked_identity(signed, "", "web-1") == {"page": "/cart", "identity_refused": "no_secret"}
    assert identity_secret_from({"identity_secret": None}) == ""


def test_the_rest_channel_drops_a_forged_customer_id() -> None:
    from types import SimpleNamespace

    from bot.channels.rest import RestInput
    from kefu.identity import sign

    channel = RestInput.from_credentials({"identity_secret": "shop-secret"})
    assert isinstance(channel, RestInput)
    forged = SimpleNamespace(json={"sender": "r1", "message": "hi",
                                   "metadata": {"customer_id": "u-1", "customer_signature": "0" * 64}})
    channel.check(forged)  # type: ignore[arg-type]
    assert forged.json["metadata"] == {"identity_refused": "forged"}
    good = SimpleNamespace(json={"sender": "r1", "message": "hi",
                                 "metadata": {"customer_id": "u-1", "customer_signature": sign("u-1", "shop-secret")}})
    channel.check(good)  # type: ignore[arg-type]
    assert good.json["metadata"] == {"customer_id": "u-1", "customer_verified": True}
