"""What the desk accepts as an attachment (judged by the bytes, not the name) and how messages carry one."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.attachments import FileStore, check_upload, clean_filename
from desk.errors import ConflictError, FileRejectedError
from desk.store import DeskStore
from tests.support.files import HTML, PDF, SVG_WITH_SCRIPT, image

LIMIT = 100_000


@pytest.mark.parametrize(("name", "fmt", "kind"), [("a.png", "PNG", "image/png"), ("b.JPG", "JPEG", "image/jpeg"),
                                                   ("c.jpeg", "JPEG", "image/jpeg"), ("d.gif", "GIF", "image/gif"),
                                                   ("e.webp", "WEBP", "image/webp")])
def test_real_images_are_accepted_with_their_type(name: str, fmt: str, kind: str) -> None:
    checked = check_upload(name, image(fmt), LIMIT)
    assert checked.content_type == kind and checked.is_image and len(checked.sha256) == 64


def test_a_pdf_is_accepted_as_a_file() -> None:
    checked = check_upload("invoice.pdf", PDF, LIMIT)
    assert checked.content_type == "application/pdf" and not checked.is_image


@pytest.mark.parametrize(("name", "data", "status", "reason"), [
    ("logo.svg", SVG_WITH_SCRIPT, 415, "UnsafeType"),
    ("photo.png", SVG_WITH_SCRIPT, 415, "WrongExtension"),   # an SVG renamed
    ("photo.png", HTML, 415, "WrongExtension"),
    ("photo.png", image("GIF"), 415, "WrongExtension"),      # a GIF named .png
    ("photo.png", image("PNG")[:60], 415, "WrongExtension"),  # truncated
    ("report.pdf", HTML, 415, "WrongExtension"),
    ("setup.exe", b"MZ\x90\x00", 415, "UnsupportedType"),
    ("noext", image("PNG"), 415, "UnsupportedType"),
    ("empty.png", b"", 400, "EmptyFile"),
    ("big.png", image("PNG", (600, 600)) + b"\0" * LIMIT, 413, "FileTooLarge"),
])
def test_malicious_or_wrong_files_are_refused_with_a_reason(name: str, data: bytes, status: int, reason: str) -> None:
    with pytest.raises(FileRejectedError) as refused:
        check_upload(name, data, LIMIT)
    assert (refused.value.status, refused.value.reason) == (status, reason)
    assert str(refused.value)


def test_file_names_lose_folders_and_markup() -> None:
    assert clean_filename("../../etc/passwd.png") == "passwd.png"
    assert clean_filename('C:\\Users\\x\\<img src=x onerror=1>.png') == "img src=x onerror=1.png"
    assert clean_filename("...") == "file"


def test_files_are_stored_under_random_keys(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    token, key = files.put(b"abc", "png")
    other, _ = files.put(b"abc", "png")
    assert token != other and files.path(key).read_bytes() == b"abc" and key.endswith(".png")
    files.delete(key)
    assert not files.path(key).exists()


def test_a_customer_file_needs_a_hand_over_and_rides_on_one_message(store: DeskStore) -> None:
    checked = check_upload("a.png", image(), LIMIT)
    with pytest.raises(ConflictError):
        store.add_attachment("conv-9", "customer", checked, "t" * 32, "tt/x.png")
    store.create_escalation("conv-9", channel="socketio", language="en", tier="regular", trigger="request",
                            reason="asked", frustration=0.2, summary={})
    attachment = store.add_attachment("conv-9", "customer", checked, "t" * 32, "tt/x.png")
    assert attachment["url"] == "/files/" + "t" * 32 and attachment["image"]

    first = store.add_customer_message("conv-9", "[图片]", sentiment=None, frustration=None, source_id="m1",
                                       attachment="t" * 32)
    assert first is not None and first["attachment"]["filename"] == "a.png"
    # The same token again (a forged or replayed message) attaches nothing more.
    again = store.add_customer_message("conv-9", "[图片]", sentiment=None, frustration=None, source_id="m2",
                                       attachment="t" * 32)
    assert again is not None and again["attachment"] is None
    assert store.attachment_file("t" * 32)[1] == "tt/x.png"
