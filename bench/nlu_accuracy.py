"""Intent accuracy per language on the held-out split bench/data/nlu_test.yml, through `rasa test nlu`.

Usage: .venv/bin/python -m bench.nlu_accuracy [--model models/rasa/kefu.tar.gz]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.common import table, write_result
from bot.language import detect_language

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/rasa/kefu.tar.gz")
    parser.add_argument("--nlu", default="bench/data/nlu_test.yml")
    args = parser.parse_args()
    out = ROOT / "results" / "nlu"
    subprocess.run(
        [sys.executable, "-m", "kefu", "rasa", "test", "nlu", "--model", args.model, "--nlu", args.nlu,
         "--out", str(out), "--successes", "--no-plot"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    rows = [row for name in ("intent_successes.json", "intent_errors.json")
            for row in json.loads((out / name).read_text())]
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    per_intent: dict[str, Counter[str]] = {}
    for row in rows:
        lang = detect_language(row["text"]) or "other"
        ok = row["intent"] == row["intent_prediction"]["name"]
        total[lang] += 1
        right[lang] += ok
        per_intent.setdefault(row["intent"], Counter())[f"{lang}_{'ok' if ok else 'wrong'}"] += 1
    result = {
        lang: {"n": total[lang], "accuracy": round(right[lang] / total[lang], 4)} for lang in sorted(total)
    }
    result["all"] = {"n": sum(total.values()), "accuracy": round(sum(right.values()) / sum(total.values()), 4)}
    path = write_result("nlu_accuracy", {"per_language": result, "per_intent": per_intent})
    print("Intent accuracy on the held-out split (rasa test nlu)")
    print(table([(lang, f"{v['accuracy']:.1%} of {v['n']}") for lang, v in result.items()]))
    errors = [r for r in rows if r["intent"] != r["intent_prediction"]["name"]]
    for r in errors[:15]:
        print(f"  ✗ {r['text']!r}: {r['intent']} → {r['intent_prediction']['name']}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
