"""Files in hand-overs: what may be sent (judged by the bytes, not the name) and where they are kept.

A customer's browser and an agent's desk both show these files, so an upload is only kept when its content is what
its name says: Pillow must open an image as the format its extension names (PNG, JPEG, GIF, WebP), and a PDF must
start like one. SVG is refused outright, since an SVG is a document that can carry script. Files are stored under a
random token, never under the uploader's name, and served with their checked type only.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from desk.errors import FileRejectedError

# Extension → (content type, the format Pillow must find; None for a PDF).
ALLOWED: dict[str, tuple[str, str | None]] = {
    "png": ("image/png", "PNG"), "jpg": ("image/jpeg", "JPEG"), "jpeg": ("image/jpeg", "JPEG"),
    "gif": ("image/gif", "GIF"), "webp": ("image/webp", "WEBP"), "pdf": ("application/pdf", None),
}
SCRIPTABLE = {"svg", "svgz", "html", "htm", "xhtml", "xml", "js"}
# Larger images are refused before they are decoded (a small file can claim a huge canvas).
MAX_PIXELS = 40_000_000
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\\"<>]")


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, with what the desk stores about it."""

    filename: str
    extension: str
    content_type: str
    size: int
    sha256: str

    @property
    def is_image(self) -> bool:
        """Whether browsers show it inline as a picture."""
        return self.content_type.startswith("image/")


def placeholder(filename: str) -> str:
    """A message's text when a file is sent without words: "[name]" (the desk stores text with every message)."""
    return f"[{filename}]"


def clean_filename(name: str) -> str:
    """The uploader's file name without folders or characters a header or a page could trip on (at most 120)."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = _UNSAFE_NAME.sub("", base).strip(" .") or "file"
    return base[-120:]


def check_upload(filename: str, data: bytes, max_bytes: int) -> CheckedFile:
    """Accept an upload or raise FileRejectedError (400 empty, 413 too large, 415 a type the desk does not take)."""
    name = clean_filename(filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data:
        raise FileRejectedError(400, "EmptyFile", "The file is empty.")
    if len(data) > max_bytes:
        raise FileRejectedError(413, "FileTooLarge",
                                f"The file has {len(data):,} bytes; the limit is {max_bytes:,}.")
    if ext in SCRIPTABLE:
        raise FileRejectedError(415, "UnsafeType", f"{ext.upper()} files can carry scripts and are not accepted: "
                                                   "send a PNG, JPEG, GIF or WebP image, or a PDF.")
    if ext not in ALLOWED:
        raise FileRejectedError(415, "UnsupportedType", f"{name}: only PNG, JPEG, GIF and WebP images and PDF files "
                                                        "are accepted.")
    content_type, image_format = ALLOWED[ext]
    if image_format is None:
        if not data.startswith(b"%PDF-"):
            raise FileRejectedError(415, "WrongExtension", f"{name} is named .{ext} but is not a PDF.")
    else:
        found = _image_format(data)
        if found != image_format:
            what = f"a {found} image" if found else "not an image"
            raise FileRejectedError(415, "WrongExtension", f"{name} is named .{ext} but is {what}.")
    return CheckedFile(name, "jpg" if ext == "jpeg" else ext, content_type, len(data), hashlib.sha256(data).hexdigest())


def _image_format(data: bytes) -> str | None:
    """The format Pillow reads the bytes as, after a full integrity check; None when it cannot."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    return None
                found = img.format
                img.verify()  # walks the whole file: a truncated or corrupt image fails here
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        return None
    return str(found) if found else None


class FileStore:
    """Attachments on the local disk, one file per upload under a random key; several console replicas on one
    host share the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes, extension: str) -> tuple[str, str]:
        """Write the bytes (atomically) and return (token, key)."""
        token = secrets.token_urlsafe(24)
        key = f"{token[:2].lower()}/{token}.{extension}"
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)
        return token, key

    def path(self, key: str) -> Path:
        """Where a stored key lives (the key comes from the database, never from a request)."""
        return self.root / key

    def delete(self, key: str) -> None:
        """Remove a stored file if it is there."""
        self.path(key).unlink(missing_ok=True)
