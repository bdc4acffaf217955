"""Readable differences between two revisions of an entry, for the ops console's history view."""

from __future__ import annotations

import difflib
import re
from typing import Any

from knowledge_base.io import LANGS

# Latin words stay whole and each CJK character is its own token, so a diff reads naturally in both languages.
TOKEN = re.compile(r"[A-Za-z0-9_'’\-]+|\s+|.", re.DOTALL)


def text_diff(before: str, after: str) -> list[dict[str, str]]:
    """Segments `{"op": "equal"|"insert"|"delete", "text"}` turning before into after."""
    old, new = TOKEN.findall(before), TOKEN.findall(after)
    segments: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op in ("equal", "delete", "replace") and i2 > i1:
            segments.append({"op": "equal" if op == "equal" else "delete", "text": "".join(old[i1:i2])})
        if op in ("insert", "replace") and j2 > j1:
            segments.append({"op": "insert", "text": "".join(new[j1:j2])})
    return segments


def changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed between two snapshots (None before the first revision), one item per field and language."""
    if before is None:
        return [{"field": "created", "text": f"created in {after['category']} as {after['status']}"}]
    out: list[dict[str, Any]] = []
    for field in ("category", "status"):
        if before.get(field) != after.get(field):
            out.append({"field": field, "before": before.get(field), "after": after.get(field)})
    for lang in (*LANGS, *sorted((set(after["answers"]) | set(before["answers"])) - set(LANGS))):
        old, new = before["answers"].get(lang, ""), after["answers"].get(lang, "")
        if old != new:
            out.append({"field": "answer", "lang": lang, "segments": text_diff(old, new)})
    old_tiers, new_tiers = before.get("tier_answers") or {}, after.get("tier_answers") or {}
    for tier in sorted(set(old_tiers) | set(new_tiers)):
        for lang in sorted(set(old_tiers.get(tier, {})) | set(new_tiers.get(tier, {}))):
            old, new = old_tiers.get(tier, {}).get(lang, ""), new_tiers.get(tier, {}).get(lang, "")
            if old != new:
                out.append({"field": "tier_answer", "tier": tier, "lang": lang, "segments": text_diff(old, new)})
    for lang in (*LANGS, *sorted((set(after["variants"]) | set(before["variants"])) - set(LANGS))):
        old_q, new_q = before["variants"].get(lang, []), after["variants"].get(lang, [])
        added = [q for q in new_q if q not in old_q]
        removed = [q for q in old_q if q not in new_q]
        if added or removed:
            out.append({"field": "questions", "lang": lang, "added": added, "removed": removed})
    return out
