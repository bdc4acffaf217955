"""WeChat text has no buttons: bot messages show them as numbered lines, and a customer's bare number picks one."""

from __future__ import annotations

import re
import time
from typing import Any, Dict, List, Tuple

CHOICE_TTL_S = 600.0
HAN = re.compile("[\u4e00-\u9fff]")


def render(message: Dict[str, Any]) -> Tuple[str, List[str]]:
    """A bot message as WeChat text: buttons become numbered lines. Returns (text, the buttons' payloads)."""
    text = str(message.get("text") or "")
    agent = (message.get("agent_name") or "").strip()
    if agent:
        text = f"{agent}：{text}" if HAN.search(text) else f"{agent}: {text}"
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if not buttons:
        return text, []
    lines = [f"{number}. {button.get('title', '')}" for number, button in enumerate(buttons, 1)]
    hint = "回复序号即可选择" if HAN.search(text) else "Reply with a number to choose"
    return "\n".join([text, "", *lines, f"（{hint}）" if HAN.search(text) else f"({hint})"]), [
        str(b.get("payload") or b.get("title") or "") for b in buttons
    ]


class Choices:
    """The buttons last shown to each customer, so a reply "2" picks the second (WeChat text has no buttons).

    In this process's memory: after a restart, or on another replica, a digit goes to the NLU like any text.
    """

    def __init__(self) -> None:
        self._offered: Dict[str, Tuple[float, List[str]]] = {}

    def offer(self, openid: str, payloads: List[str]) -> None:
        """Remember the payloads offered (an empty list forgets them)."""
        if payloads:
            self._offered[openid] = (time.monotonic(), payloads)
        else:
            self._offered.pop(openid, None)

    def pick(self, openid: str, text: str) -> str:
        """The payload a bare number picks, else the text unchanged."""
        offered = self._offered.get(openid)
        if not offered or time.monotonic() - offered[0] > CHOICE_TTL_S or not text.strip().isdigit():
            return text
        number = int(text.strip())
        payloads = offered[1]
        return payloads[number - 1] if 1 <= number <= len(payloads) else text
