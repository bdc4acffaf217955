"""Small real files for attachment tests: images Pillow writes, a PDF, and the malicious ones the desk must refuse."""

from __future__ import annotations

import io

from PIL import Image

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<html><body><script>alert(1)</script></body></html>"


def image(fmt: str = "PNG", size: tuple[int, int] = (24, 16), color: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A small solid image in this Pillow format (PNG, JPEG, GIF, WEBP)."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()
