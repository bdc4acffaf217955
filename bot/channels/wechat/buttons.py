"""WeChat text has no buttons: bot messages show them as numbered lines, and a customer's bare number picks one."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from bot.channels.wechat.wording import Wording
from bot.language import EN, ZH
from bot.shared_state import SharedState

CHOICE_TTL_S = 600.0
HAN = re.compile("[\u4e00-\u9fff]")
# How to choose, in the message's language (utter_choose_by_number in the domain; these when it lacks it).
HINT_RESPONSE = "utter_choose_by_number"
HINT_FALLBACK = {ZH: "（回复序号即可选择）", EN: "(Reply with a number to choose)"}


def render(message: Dict[str, Any], wording: Optional[Wording] = None) -> Tuple[str, List[str]]:
    """A bot message as WeChat text: buttons become numbered lines. Returns (text, the buttons' payloads)."""
    text = str(message.get("text") or "")
    agent = (message.get("agent_name") or "").strip()
    if agent:
        text = f"{agent}：{text}" if HAN.search(text) else f"{agent}: {text}"
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if not buttons:
        return text, []
    lines = [f"{number}. {button.get('title', '')}" for number, button in enumerate(buttons, 1)]
    # The hint follows the message it ends, which is in the conversation's language already.
    language = ZH if HAN.search(text) else EN
    hint = (wording or Wording("wechat")).text(HINT_RESPONSE, language, HINT_FALLBACK[language])
    return "\n".join([text, "", *lines, hint]), [str(b.get("payload") or b.get("title") or "") for b in buttons]


class Choices:
    """The buttons last shown to each customer, so a reply "2" picks the second (WeChat text has no buttons).

    Kept in the shared state (bot/shared_state.py): with Redis, a number sent to another replica, or after a
    restart, still picks; without, in this process's memory.
    """

    def __init__(self, state: Optional[SharedState] = None) -> None:
        self.state = state or SharedState()

    @staticmethod
    def _key(openid: str) -> str:
        return f"wechat:choices:{openid}"

    async def offer(self, openid: str, payloads: List[str]) -> None:
        """Remember the payloads offered (an empty list forgets them)."""
        if payloads:
            await self.state.put(self._key(openid), payloads, CHOICE_TTL_S)
        else:
            await self.state.delete(self._key(openid))

    async def pick(self, openid: str, text: str) -> str:
        """The payload a bare number picks, else the text unchanged."""
        if not text.strip().isdigit():
            return text
        payloads = await self.state.get(self._key(openid))
        if not payloads:
            return text
        number = int(text.strip())
        return str(payloads[number - 1]) if 1 <= number <= len(payloads) else text
