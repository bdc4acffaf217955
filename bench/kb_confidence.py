"""Fit the knowledge base's confidence model and its cut-offs, and check them on questions it never saw.

The model is P(the best entry is right) = logistic(bias + w · [entry score, lead over the runner-up, word overlap,
cross-lingual match]) (knowledge_base.answering.Confidence). It is fitted on the KB dev set
(bench/data/kb_dev_*.jsonl) and the tuning half of the end-to-end dev set (routing_dev_a.jsonl), every question that
should be answered or honestly left unresolved; the cut-offs maximise right answers plus right first buttons with
confident answers ≥ --min-precision right and ≥ --min-honest of unanswerable questions left unresolved. The figures
on routing_dev_b.jsonl (held out) are the ones to quote. Prints the settings to put in kefu/config.py.

Usage: .venv/bin/python -m bench.kb_confidence [--min-precision 0.985] [--min-honest 0.94] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import table, write_result  # noqa: E402
from kefu.config import Settings  # noqa: E402
from knowledge_base import io, service  # noqa: E402
from knowledge_base.answering import ANSWER, CLARIFY, UNRESOLVED, Confidence, Thresholds, decide, related  # noqa: E402

FIT = ["bench/data/kb_dev_*.jsonl", "bench/data/routing_dev_a.jsonl"]
HELD_OUT = ["bench/data/routing_dev_b.jsonl"]
NOT_FAQ = ("out_of_scope", "order_form")  # routing rows that the KB is not meant to answer


def load(patterns: list[str]) -> list[dict[str, Any]]:
    """Dev rows that should be answered (expected: an entry id) or left unresolved (expected: null)."""
    rows = []
    for pattern in patterns:
        for path in sorted(glob.glob(str(ROOT / pattern))):
            rows += [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("expected") not in NOT_FAQ]


def features(result: Any) -> list[float]:
    """[score, lead, overlap, cross-lingual] of a result's best candidate (what Confidence weighs)."""
    best = result.candidates[0]
    second = result.candidates[1].score if len(result.candidates) > 1 else 0.0
    return [best.score, best.score - second, best.overlap, float(best.cross_lingual)]


def logistic(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Logistic regression on standardised features: (bias, weights) folded back onto the raw ones."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
    return float(model.intercept_[0] - np.sum(model.coef_[0] * mean / scale)), model.coef_[0] / scale


def fit(x: np.ndarray, y: np.ndarray) -> Confidence:
    """The confidence model fitted on features() rows x and whether their best entry is right, y."""
    bias, w = logistic(x, y)
    return Confidence(round(bias, 3), *(round(float(v), 3) for v in w))


def demo_entries() -> list[io.EntryData]:
    """The demo KB's entries (knowledge_base/demo)."""
    paths = sorted(glob.glob(str(ROOT / "knowledge_base/demo/*.jsonl")))
    return [e for path in paths for e in io.read_file(Path(path))]


def demo_settings(prefix: str) -> Settings:
    """Settings over a new temporary folder holding the demo KB, imported and published."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    settings = Settings(data_dir=workdir, kb_database_url=f"sqlite:///{workdir}/kb.db", kb_index_dir=workdir / "index")
    service.store(settings).import_entries(demo_entries(), author="bench")
    service.publish(settings)
    return settings


def outcomes(rows: list[dict[str, Any]], t: Thresholds) -> dict[str, Any]:
    """Decide every row with thresholds t and score what the customer gets (as bench/routing_e2e.py counts it)."""
    answerable = [r for r in rows if r["expected"]]
    unanswerable = [r for r in rows if not r["expected"]]
    for r in rows:
        decision, offered = decide(r["scores"], t, r["confidence"])
        ok = {r["expected"], *(r.get("also") or [])}
        r["decision"] = decision
        r["right"] = bool(r["expected"]) and r["ids"][0] in ok
        offered_ids = r["ids"][:offered] if decision == CLARIFY else (
            [c.faq_id for c in related(r["candidates"], t)] if decision == UNRESOLVED else [])
        r["first_button_right"] = bool(offered_ids) and offered_ids[0] in ok
    answered = [r for r in rows if r["decision"] == ANSWER]
    return {
        "n": {"answerable": len(answerable), "unanswerable": len(unanswerable)},
        "answered_right": round(sum(r["decision"] == ANSWER and r["right"] for r in answerable) / len(answerable), 4),
        "right_or_first_button": round(sum((r["decision"] == ANSWER and r["right"]) or r["first_button_right"]
                                           for r in answerable) / len(answerable), 4),
        "answer_precision": round(sum(r["right"] for r in answered) / len(answered), 4) if answered else None,
        "honestly_unresolved": round(sum(r["decision"] == UNRESOLVED for r in unanswerable) / len(unanswerable), 4),
        "top1": round(sum(r["right"] for r in answerable) / len(answerable), 4),
    }


def describe(m: dict[str, Any]) -> str:
    """One line of outcomes (as `outcomes` counts them) for a printed table."""
    return (f"answered right {m['answered_right']:.1%}  right/first button {m['right_or_first_button']:.1%}  "
            f"precision {m['answer_precision']:.1%}  unanswerable unresolved {m['honestly_unresolved']:.1%}  "
            f"({m['n']['answerable']}+{m['n']['unanswerable']})")


def choose(rows: list[dict[str, Any]], base: Thresholds, min_precision: float, min_honest: float) -> Thresholds:
    """The answer and clarify cut-offs that help most within the precision and honesty floors."""
    best: tuple[float, Thresholds] | None = None
    for answer_at in np.arange(0.50, 0.995, 0.005):
        for clarify_at in np.arange(0.05, answer_at, 0.01):
            t = dataclasses.replace(base, answer_confidence=round(float(answer_at), 3),
                                    clarify_confidence=round(float(clarify_at), 2))
            m = outcomes(rows, t)
            if (m["answer_precision"] or 0) < min_precision or m["honestly_unresolved"] < min_honest:
                continue
            objective = m["answered_right"] + m["right_or_first_button"]
            if best is None or objective > best[0]:
                best = (objective, t)
    if best is None:
        raise SystemExit("no cut-offs reach the precision and honesty floors")
    return best[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-precision", type=float, default=0.985)
    parser.add_argument("--min-honest", type=float, default=0.94)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    settings = demo_settings("kefu-kb-confidence-")
    kb = service.knowledge_base(settings)
    fit_rows, held_rows = load(FIT), load(HELD_OUT)
    for rows in (fit_rows, held_rows):
        for r, result in zip(rows, kb.ask_many([r["query"] for r in rows]), strict=True):
            r["candidates"], r["ids"] = result.candidates, [c.faq_id for c in result.candidates]
            r["scores"], r["x"] = [c.score for c in result.candidates], features(result)

    configured = Thresholds.from_settings(settings)
    x = np.array([r["x"] for r in fit_rows])
    y = np.array([bool(r["expected"]) and r["ids"][0] in {r["expected"], *(r.get("also") or [])} for r in fit_rows])
    model = fit(x, y)
    for rows in (fit_rows, held_rows):
        for r in rows:
            r["confidence"] = model.of(r["candidates"][0], r["candidates"][1] if len(r["candidates"]) > 1 else None)
    chosen = choose(fit_rows, dataclasses.replace(configured, confidence=model), args.min_precision, args.min_honest)
    scores_only = dataclasses.replace(configured, confidence=None)
    report: dict[str, Any] = {"model": dataclasses.asdict(model),
                              "answer_confidence": chosen.answer_confidence,
                              "clarify_confidence": chosen.clarify_confidence,
                              "fit": outcomes(fit_rows, chosen), "held_out": outcomes(held_rows, chosen)}
    for rows in (fit_rows, held_rows):
        for r in rows:
            r["confidence"] = None
    report["scores_only_fit"] = outcomes(fit_rows, scores_only)
    report["scores_only_held_out"] = outcomes(held_rows, scores_only)
    settings_lines = [f"kb_confidence_{k}: float = {v}" for k, v in dataclasses.asdict(model).items()] + [
        f"kb_answer_confidence: float = {chosen.answer_confidence}",
        f"kb_clarify_confidence: float = {chosen.clarify_confidence}"]
    report["settings"] = settings_lines
    path = write_result("kb_confidence", report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0

    print("Knowledge-base decisions (the KB alone, related questions included)")
    print(table([
        ("confidence model, fitted rows", describe(report["fit"])),
        ("confidence model, held out (routing_dev_b)", describe(report["held_out"])),
        ("score thresholds, fitted rows", describe(report["scores_only_fit"])),
        ("score thresholds, held out", describe(report["scores_only_held_out"])),
    ]))
    print("settings (kefu/config.py):")
    for s in settings_lines:
        print(f"  {s}")
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
