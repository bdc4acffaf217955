"""Figures for the sentiment model: held-out review sets and the hand-written customer-service set."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sentiment.data import NEG, POS, REPORTED_SETS, build_splits, cs_eval_set
from sentiment.frustration import FrustrationConfig, single_message_frustration
from sentiment.inference import LABELS, Prediction, SentimentModel

CS_LABELS = ("frustrated", "negative", "neutral", "positive")


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (0 when undefined)."""
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean of per-label F1."""
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=False))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=False))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=False))
        scores.append(f1(tp, fp, fn))
    return sum(scores) / len(scores)


def accuracy(gold: Sequence[Any], pred: Sequence[Any]) -> float:
    """Share of exact matches."""
    return float(sum(g == p for g, p in zip(gold, pred, strict=False))) / max(1, len(gold))


def review_figures(gold: list[int], probs: list[dict[str, float]]) -> dict[str, Any]:
    """Binary figures for a pos/neg review set: the model's choice between negative and positive, and the strict
    three-way figure where a neutral prediction counts as wrong."""
    names = {NEG: "negative", POS: "positive"}
    gold_names = [names[g] for g in gold]
    binary = ["negative" if p["negative"] >= p["positive"] else "positive" for p in probs]
    strict = [max(p, key=lambda k: p[k]) for p in probs]
    return {
        "n": len(gold),
        "accuracy": round(accuracy(gold_names, binary), 4),
        "macro_f1": round(macro_f1(gold_names, binary, ("negative", "positive")), 4),
        "accuracy_3way": round(accuracy(gold_names, strict), 4),
    }


def cs_figures(rows: list[dict[str, str]], preds: list[Prediction], cfg: FrustrationConfig) -> dict[str, Any]:
    """Four-way accuracy (frustrated when the message's frustration ≥ 0.5, else the sentiment label) and
    frustrated-vs-rest F1 on the customer-service set."""
    gold = [r["label"] for r in rows]
    frustration = [
        single_message_frustration(p.probs, r["text"], cfg, p.frustrated) for r, p in zip(rows, preds, strict=True)
    ]
    probs = [p.probs for p in preds]
    pred = [
        "frustrated" if f >= 0.5 else max(p, key=lambda k: p[k]) for f, p in zip(frustration, probs, strict=False)
    ]
    tp = sum(g == "frustrated" and p == "frustrated" for g, p in zip(gold, pred, strict=False))
    fp = sum(g != "frustrated" and p == "frustrated" for g, p in zip(gold, pred, strict=False))
    fn = sum(g == "frustrated" and p != "frustrated" for g, p in zip(gold, pred, strict=False))
    by_lang = {}
    for lang in sorted({r.get("lang", "") for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.get("lang", "") == lang]
        by_lang[lang] = {"n": len(idx), "accuracy": round(accuracy([gold[i] for i in idx], [pred[i] for i in idx]), 4)}
    errors = [
        {"text": r["text"], "gold": g, "predicted": p, "frustration": f}
        for r, g, p, f in zip(rows, gold, pred, frustration, strict=False) if g != p
    ]
    return {
        "n": len(rows),
        "accuracy": round(accuracy(gold, pred), 4),
        "macro_f1": round(macro_f1(gold, pred, CS_LABELS), 4),
        "frustrated_f1": round(f1(tp, fp, fn), 4),
        "frustrated_precision": round(tp / max(1, tp + fp), 4),
        "frustrated_recall": round(tp / max(1, tp + fn), 4),
        "by_lang": by_lang,
        "errors": errors,
    }


def evaluate(
    model: SentimentModel, cfg: FrustrationConfig, data_dir: Path, limit: int = 0,
    predict: Callable[[list[str]], list[Prediction]] | None = None,
) -> dict[str, Any]:
    """Every reported figure for `model` (or for `predict`, a function from texts to predictions)."""
    run = predict or model.predict
    splits = build_splits(data_dir, scale=0.01)
    report: dict[str, Any] = {"model": str(model.folder), "onnx_file": model.onnx_file, "sets": {}}
    for name in REPORTED_SETS:
        examples = splits.test[name][: limit or None]
        predictions = run([ex.text for ex in examples])
        report["sets"][name] = review_figures([ex.label for ex in examples], [p.probs for p in predictions])
    rows = cs_eval_set()
    report["customer_service"] = cs_figures(rows, run([r["text"] for r in rows]), cfg)
    timings = []
    for row in rows[:200]:
        start = time.perf_counter()
        model.predict_one(row["text"])
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    report["latency_ms"] = {
        "p50": round(timings[len(timings) // 2], 2), "p95": round(timings[int(len(timings) * 0.95)], 2)
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A short human summary."""
    lines = [f"model {report['model']} ({report['onnx_file']})"]
    for name, fig in report["sets"].items():
        lines.append(
            f"  {name:<13} n={fig['n']:<5} accuracy {fig['accuracy']:.1%}  macro-F1 {fig['macro_f1']:.3f}  "
            f"(3-way, neutral counted wrong: {fig['accuracy_3way']:.1%})"
        )
    cs = report["customer_service"]
    lines.append(
        f"  customer-service set n={cs['n']}: accuracy {cs['accuracy']:.1%} (4 labels), frustrated-vs-rest F1 "
        f"{cs['frustrated_f1']:.3f} (precision {cs['frustrated_precision']:.1%}, recall {cs['frustrated_recall']:.1%})"
    )
    by_lang = ", ".join(f"{k} {v['accuracy']:.1%} (n={v['n']})" for k, v in cs["by_lang"].items())
    lines.append("    by language: " + by_lang)
    lat = report["latency_ms"]
    lines.append(f"  one message: p50 {lat['p50']} ms, p95 {lat['p95']} ms (ONNX Runtime, 1 thread)")
    return "\n".join(lines)


__all__ = ["LABELS", "evaluate", "format_report"]
