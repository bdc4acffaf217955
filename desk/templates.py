"""Canned-reply templates: `{customer_name}`, `{order_id}` and `{agent_name}` filled from the conversation.

A variable may carry its own fallback for when the conversation does not know the value: `{customer_name|亲}`
(`{customer_name|}`: nothing). Without one, the language's default fallback below is used, so a reply never goes
out with a raw placeholder or an empty gap. `{{` and `}}` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from desk.errors import InvalidInputError

VARIABLES = ("customer_name", "order_id", "agent_name")
FALLBACKS: dict[str, dict[str, str]] = {
    "zh": {"customer_name": "亲", "order_id": "您的订单", "agent_name": "客服"},
    "en": {"customer_name": "there", "order_id": "your order", "agent_name": "our support team"},
}
MAX_FALLBACK = 40
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?:\|([^{}]*))?\}")


def problems(template: str) -> list[str]:
    """What is wrong with a template (unknown variables, stray braces, long fallbacks); empty when it is fine."""
    found: list[str] = []
    rest = []
    last = 0
    for m in _TOKEN.finditer(template):
        rest.append(template[last:m.start()])
        last = m.end()
        name, fallback = m.group(1), m.group(2)
        if name is None:
            continue
        if name not in VARIABLES:
            found.append(f"unknown variable {{{name}}}: use {', '.join('{' + v + '}' for v in VARIABLES)}")
        elif fallback is not None and len(fallback) > MAX_FALLBACK:
            found.append(f"the fallback of {{{name}}} has {len(fallback)} characters; the limit is {MAX_FALLBACK}")
    rest.append(template[last:])
    if any(ch in part for part in rest for ch in "{}"):
        found.append("a brace without a variable: write {{ and }} for literal braces")
    return found


def check(template: str) -> str:
    """The template, or InvalidInputError naming every problem."""
    found = problems(template)
    if found:
        raise InvalidInputError("; ".join(found))
    return template


def fill(template: str, values: Mapping[str, str | None], language: str) -> str:
    """The template with each variable replaced by its value, its own fallback, or the language's fallback."""
    defaults = FALLBACKS.get(language, FALLBACKS["en"])

    def one(m: re.Match[str]) -> str:
        token, name, fallback = m.group(0), m.group(1), m.group(2)
        if name is None:
            return token[0]
        if name not in VARIABLES:
            return token
        value = (values.get(name) or "").strip()
        if value:
            return value
        return fallback if fallback is not None else defaults[name]

    return _TOKEN.sub(one, template)
