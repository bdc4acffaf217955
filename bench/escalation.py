"""Escalation precision and recall over the scripted conversations (tests/support/conversations.yml), played
against the real servers; plus the share of calm conversations that were never escalated.

    .venv/bin/python -m bench.escalation
"""

from __future__ import annotations

import sys

from bench.common import kefu_on_a_kb_copy, table, write_result
from tests.support.scripts import load, play


def main() -> int:
    """Play every script and print the figures."""
    conversations = load()
    with kefu_on_a_kb_copy("kefu-escalation-bench-") as settings:
        outcomes = [play(settings, c) for c in conversations]
    must = [o for o in outcomes if o.escalate]
    calm = [o for o in outcomes if not o.escalate]
    escalated = [o for o in outcomes if o.handoff_turn is not None]
    tp = sum(o.escalate for o in escalated)
    on_time = sum(o.passed for o in must)
    result = {
        "conversations": len(outcomes),
        "precision": round(tp / max(1, len(escalated)), 4),
        "recall": round(tp / max(1, len(must)), 4),
        "recall_on_time": round(on_time / max(1, len(must)), 4),
        "calm_not_escalated": round(sum(o.passed for o in calm) / max(1, len(calm)), 4),
        "failures": [
            {"id": o.id, "expected": o.by_turn if o.escalate else None, "handoff_turn": o.handoff_turn,
             "frustration": o.frustration, "reason": o.reason}
            for o in outcomes if not o.passed
        ],
    }
    path = write_result("escalation", result)
    print(f"Escalation over {len(outcomes)} scripted conversations ({len(must)} must escalate, {len(calm)} calm)")
    print(table([
        ("precision", f"{result['precision']:.1%}"),
        ("recall (escalated at all)", f"{result['recall']:.1%}"),
        ("recall (by the scripted turn)", f"{result['recall_on_time']:.1%}"),
        ("calm conversations not escalated", f"{result['calm_not_escalated']:.1%}"),
    ]))
    for failure in result["failures"]:
        print(f"  miss: {failure}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
