"""Precision and recall of the personal-data masking (kefu/pii.py) on hand-written messages, per language and kind.

An annotated item counts as found when at least 80% of its characters are masked; a finding counts as right when at
least 80% of it lies inside annotated items. A message is clean when nothing annotated is left and nothing else is
masked. The set (bench/data/pii_messages.yml) was written independently of the patterns; never tune on its errors
without adding new messages.

Usage: .venv/bin/python -m bench.pii_redaction [--json] [--errors N]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from bench.common import table, write_result
from kefu.pii import find

ROOT = Path(__file__).resolve().parent.parent
COVER = 0.8


def _spans(text: str, value: str) -> range:
    start = text.index(value)
    return range(start, start + len(value))


def evaluate(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Entity-level precision and recall per language and kind, and the share of messages handled exactly."""
    gold_n: Counter[str] = Counter()
    gold_ok: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    pred_ok: Counter[str] = Counter()
    clean: Counter[str] = Counter()
    total: Counter[str] = Counter()
    errors: list[str] = []
    for msg in messages:
        text, lang = msg["text"], msg["lang"]
        gold = [(item["kind"], set(_spans(text, item["value"]))) for item in msg["pii"]]
        findings = find(text)
        masked = {i for f in findings for i in range(f.start, f.end)}
        gold_chars = {i for _, span in gold for i in span}
        ok_message = True
        for kind, span in gold:
            hit = len(span & masked) / len(span) >= COVER
            for key in (lang, kind, "all"):
                gold_n[key] += 1
                gold_ok[key] += hit
            if not hit:
                ok_message = False
                errors.append(f"missed {kind} {text[min(span):max(span) + 1]!r} in {text!r}")
        for f in findings:
            span = set(range(f.start, f.end))
            right = len(span & gold_chars) / len(span) >= COVER
            for key in (lang, f.kind, "all"):
                pred_n[key] += 1
                pred_ok[key] += right
            if not right:
                ok_message = False
                errors.append(f"masked {f.kind} {f.value!r} in {text!r}")
        group = f"{lang}_{'with' if gold else 'without'}"
        total[group] += 1
        clean[group] += ok_message

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    keys = ["zh", "en", "phone", "email", "id_number", "bank_card", "address", "all"]
    return {
        "scores": {k: {"precision": ratio(pred_ok[k], pred_n[k]), "recall": ratio(gold_ok[k], gold_n[k]),
                       "annotated": gold_n[k], "masked": pred_n[k]} for k in keys},
        "messages_exact": {g: {"n": total[g], "exact": ratio(clean[g], total[g])} for g in sorted(total)},
        "errors": errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT / "bench/data/pii_messages.yml"))
    parser.add_argument("--errors", type=int, default=20, help="how many errors to list")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    messages = yaml.safe_load(Path(args.data).read_text(encoding="utf-8"))["messages"]
    result = evaluate(messages)
    path = write_result("pii_redaction", result)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "errors"}, ensure_ascii=False))
        return 0
    with_pii = sum(1 for m in messages if m["pii"])
    print(f"Personal-data masking on {len(messages)} hand-written messages ({with_pii} with personal data)")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.1%}"

    print(table([(k, f"precision {pct(v['precision'])} of {v['masked']}, recall {pct(v['recall'])} of "
                  f"{v['annotated']}") for k, v in result["scores"].items()]))
    print(table([(g, f"{pct(v['exact'])} of {v['n']} messages exactly right")
                 for g, v in result["messages_exact"].items()]))
    for line in result["errors"][:args.errors]:
        print(f"  ✗ {line}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
