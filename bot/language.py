"""Decide whether a customer message is Chinese or English; pure Python so both environments can use it."""

from __future__ import annotations

import re

ZH = "zh"
EN = "en"

# Han ideographs, simplified and traditional alike (basic block, extension A, compatibility, extensions B+).
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# Latin words that stand alone; "KF2023…" order numbers and hex junk are not English words.
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+(?:'[A-Za-z]+)?(?![A-Za-z0-9])")


def detect_language(text: str | None) -> str | None:
    """Return "zh" or "en" for a message, or None when it has neither Han characters nor English words."""
    if not text:
        return None
    han = len(_HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if han == 0 and words == 0:
        return None
    # A Han character carries about as much as an English word; code-mixed Chinese ("我的order在哪")
    # has more characters than words and stays Chinese, while "where is my 订单" stays English.
    return ZH if han >= words else EN
