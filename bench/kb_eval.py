"""Knowledge-base quality on the dev set: top-1 accuracy, confident-answer precision, unresolved recall.

Builds a throw-away store and index from the demo KB (through the real import and publish code), asks every dev
question once, then scores decisions at the configured thresholds. `--calibrate` grid-searches thresholds on one
half of the dev set (split by a hash of the query) and reports them on the other half, so the figures are not
measured on the data that chose them.

Usage: .venv/bin/python -m bench.kb_eval [--calibrate] [--dev bench/data/kb_dev_*.jsonl]
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import hashlib
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import table, write_result  # noqa: E402
from kefu.config import Settings  # noqa: E402
from knowledge_base import io, service  # noqa: E402
from knowledge_base.answering import ANSWER, UNRESOLVED, Thresholds, decide  # noqa: E402


def load_dev(patterns: list[str]) -> list[dict[str, Any]]:
    rows = []
    for pattern in patterns:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            rows += [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


def half(query: str) -> int:
    return hashlib.sha1(query.encode()).digest()[0] % 2


def score(rows: list[dict[str, Any]], t: Thresholds) -> dict[str, Any]:
    """Metrics for rows that carry `scores` and `ids` (entry candidates best first)."""
    answerable = [r for r in rows if r["expected"]]
    unanswerable = [r for r in rows if not r["expected"]]
    # The confidence model decides when the thresholds carry one (as in production); else the score rule.
    decisions = [decide(r["scores"], t, r.get("confidence") if t.confidence else None)[0] for r in rows]
    for r, d in zip(rows, decisions, strict=True):
        r["decision"] = d
    answered = [r for r in rows if r["decision"] == ANSWER]
    correct_answers = [r for r in answered if r["expected"] and r["ids"][0] == r["expected"]]
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in answerable:
        by_kind[f"{r['kind']}_{r['lang']}" if r["kind"] != "cross" else "cross"].append(r)
    return {
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "top1_accuracy": round(sum(r["ids"][0] == r["expected"] for r in answerable) / len(answerable), 4),
        "top3_accuracy": round(sum(r["expected"] in r["ids"][:3] for r in answerable) / len(answerable), 4),
        "answer_precision": round(len(correct_answers) / len(answered), 4) if answered else None,
        "answer_rate": round(sum(r["decision"] == ANSWER for r in answerable) / len(answerable), 4),
        "clarify_rate": round(sum(r["decision"] == "clarify" for r in answerable) / len(answerable), 4),
        "unresolved_recall": round(sum(r["decision"] == UNRESOLVED for r in unanswerable) / len(unanswerable), 4)
        if unanswerable else None,
        "false_unresolved_rate": round(sum(r["decision"] == UNRESOLVED for r in answerable) / len(answerable), 4),
        "top1_by_kind": {k: round(sum(r["ids"][0] == r["expected"] for r in v) / len(v), 4)
                         for k, v in sorted(by_kind.items())},
    }


def calibrate(rows: list[dict[str, Any]], min_precision: float) -> Thresholds:
    """Thresholds that keep answer precision ≥ min_precision and maximise helped questions + unresolved recall.

    A right answer counts 1, a clarification whose buttons hold the right entry 0.5 (one more click), and
    leaving an unanswerable question unresolved 1 (the precision floor keeps confident answers right).
    """
    s = np.array([(r["scores"] + [-1.0, -1.0, -1.0])[:3] for r in rows])
    s1, s2 = s[:, 0], s[:, 1]
    answerable = np.array([bool(r["expected"]) for r in rows])
    right = np.array([bool(r["expected"]) and r["ids"][0] == r["expected"] for r in rows])
    # Rank of the expected entry among the first three (3 = not there).
    rank = np.array([r["ids"][:3].index(r["expected"]) if r["expected"] in r["ids"][:3] else 3 for r in rows])
    best: tuple[float, Thresholds] | None = None
    for certain in (0.9, 0.93, 0.95, 0.97, 1.01):
        for answer in np.arange(0.40, 0.97, 0.01):
            for margin in (0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20):
                answered = (s1 >= certain) | ((s1 >= answer) & (s1 - s2 >= margin))
                if not answered.any() or right[answered].mean() < min_precision:
                    continue
                for clarify in np.arange(0.30, answer + 0.001, 0.01):
                    unresolved = s1 < clarify
                    clarified = ~answered & ~unresolved
                    for window in (0.04, 0.08, 0.12, 0.2):
                        # decide() offers the candidates scoring ≥ clarify and within `window` of the best.
                        offered = (rank < 3) & (np.take_along_axis(s, np.minimum(rank, 2)[:, None], 1)[:, 0]
                                                >= np.maximum(clarify, s1 - window))
                        helped = (answered & right).sum() + 0.5 * (clarified & offered).sum()
                        objective = helped / answerable.sum() + unresolved[~answerable].mean()
                        if best is None or objective > best[0]:
                            best = (float(objective), Thresholds(round(float(answer), 3), margin,
                                                                 round(float(clarify), 3), window, certain))
    if best is None:
        raise SystemExit("no thresholds reach the required precision")
    return best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dev", nargs="+", default=["bench/data/kb_dev_*.jsonl"])
    parser.add_argument("--kb", nargs="+", default=["knowledge_base/demo/*.jsonl"])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--min-precision", type=float, default=0.97)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kefu-kb-eval-"))
    settings = Settings(data_dir=workdir, kb_database_url=f"sqlite:///{workdir}/kb.db", kb_index_dir=workdir / "index")
    entries = [e for pattern in args.kb for path in sorted(glob.glob(str(ROOT / pattern)))
               for e in io.read_file(Path(path))]
    service.store(settings).import_entries(entries, author="bench")
    service.publish(settings)
    kb = service.knowledge_base(settings)

    rows = load_dev(args.dev)
    results = kb.ask_many([r["query"] for r in rows])
    for r, res in zip(rows, results, strict=True):
        r["ids"] = [c.faq_id for c in res.candidates]
        r["scores"] = [c.score for c in res.candidates]
        r["confidence"] = res.confidence

    configured = Thresholds.from_settings(settings)
    report: dict[str, Any] = {"configured_thresholds": dataclasses.asdict(configured), "all": score(rows, configured)}
    if args.calibrate:
        tune = [r for r in rows if half(r["query"]) == 0]
        held = [r for r in rows if half(r["query"]) == 1]
        chosen = calibrate(tune, args.min_precision)
        report["calibrated_thresholds"] = dataclasses.asdict(chosen)
        report["calibration_half"] = score(tune, chosen)
        report["held_out_half"] = score(held, chosen)
        report["all_calibrated"] = score(rows, chosen)
    misses = [(r["query"], r["expected"], r["ids"][:2], [round(s, 3) for s in r["scores"][:2]], r["decision"])
              for r in rows if (r["expected"] and r["ids"][0] != r["expected"])
              or (not r["expected"] and r["decision"] == ANSWER)]
    report["errors_sample"] = misses[:40]
    path = write_result("kb_eval", report)

    def line(name: str, m: dict[str, Any]) -> tuple[str, str]:
        return name, (f"top-1 {m['top1_accuracy']:.1%}  top-3 {m['top3_accuracy']:.1%}  answer precision "
                      f"{m['answer_precision']:.1%}  answered {m['answer_rate']:.1%}  clarified {m['clarify_rate']:.1%}"
                      f"  unresolved recall {m['unresolved_recall']:.1%}  ({m['n_answerable']}+{m['n_unanswerable']})")

    print(f"Knowledge base on the dev set ({len(entries)} entries)")
    rows_out = [line(f"configured {configured.__dict__}", report["all"])]
    if args.calibrate:
        rows_out += [line("calibrated, tuning half", report["calibration_half"]),
                     line("calibrated, held-out half", report["held_out_half"]),
                     line(f"calibrated, all {report['calibrated_thresholds']}", report["all_calibrated"])]
    print(table(rows_out))
    print("top-1 by kind:", report["all"]["top1_by_kind"])
    for miss in misses[:12]:
        print("  ✗", miss)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
