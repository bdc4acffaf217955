"""Sentiment figures: the fine-tuned model (ONNX, as served) against SnowNLP and a logistic head on the frozen
encoder, on the held-out parts of waimai, chnsenticorp and sst2 and on the hand-written customer-service set.

    .venv/bin/python -m bench.sentiment_eval [--no-baselines] [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from bench.common import table, write_result
from kefu.config import get_settings
from sentiment.__main__ import frustration_config
from sentiment.data import build_splits
from sentiment.evaluation import evaluate, format_report
from sentiment.inference import LABELS, PREFIX, Prediction, load_model


def as_prediction(probs: dict[str, float]) -> Prediction:
    """A baseline's probabilities as a Prediction (no frustration output)."""
    best = max(probs, key=lambda k: probs[k])
    return Prediction(best, probs[best], probs)


def snownlp_probs(texts: list[str]) -> list[Prediction]:
    """SnowNLP's built-in Naive Bayes: P(positive), with no neutral class."""
    from snownlp import SnowNLP

    out = []
    for text in texts:
        try:
            pos = float(SnowNLP(text).sentiments)
        except (ZeroDivisionError, ValueError):
            pos = 0.5
        out.append(as_prediction({"negative": 1 - pos, "neutral": 0.0, "positive": pos}))
    return out


def frozen_head(settings, train_size: int):  # type: ignore[no-untyped-def]
    """A logistic regression on mean-pooled embeddings of the frozen base encoder, trained on the same mix."""
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    encoder = SentenceTransformer(str(settings.path(settings.kb_base_model)), device="cpu")
    splits = build_splits(settings.path(settings.shared_data_dir))
    rng = np.random.default_rng(0)
    sample = [splits.train[i] for i in rng.choice(len(splits.train), size=min(train_size, len(splits.train)),
                                                  replace=False)]

    def embed(texts: list[str]) -> np.ndarray:
        return np.asarray(encoder.encode([PREFIX + t for t in texts], batch_size=64, normalize_embeddings=True,
                                         show_progress_bar=False))

    head = LogisticRegression(max_iter=2000, C=4.0)
    head.fit(embed([ex.text for ex in sample]), [ex.label for ex in sample])

    def predict(texts: list[str]) -> list[Prediction]:
        probs = head.predict_proba(embed(texts))
        return [as_prediction({LABELS[c]: float(p[i]) for i, c in enumerate(head.classes_)}) for p in probs]

    return predict


def main() -> int:
    """Run the evaluation and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="at most this many texts per review set")
    parser.add_argument("--head-train", type=int, default=8000, help="training texts for the frozen-encoder head")
    args = parser.parse_args()
    settings = get_settings()
    model = load_model(settings.path(settings.sentiment_model_dir))
    cfg = frustration_config()
    data_dir = settings.path(settings.shared_data_dir)
    started = time.monotonic()
    results = {"model": evaluate(model, cfg, data_dir, limit=args.limit)}
    print(format_report(results["model"]))
    if not args.no_baselines:
        results["snownlp"] = evaluate(model, cfg, data_dir, limit=args.limit, predict=snownlp_probs)
        results["frozen_head"] = evaluate(model, cfg, data_dir, limit=args.limit,
                                          predict=frozen_head(settings, args.head_train))
    rows: list[tuple[str, object]] = []
    for name in ("waimai", "chnsenticorp", "sst2"):
        cells = [f"{results[k]['sets'][name]['accuracy']:.1%} / {results[k]['sets'][name]['macro_f1']:.3f}"
                 for k in results]
        rows.append((f"{name} acc / macro-F1", "   ".join(cells)))
    rows.append(("CS set accuracy (4 labels)",
                 "   ".join(f"{results[k]['customer_service']['accuracy']:.1%}" for k in results)))
    rows.append(("CS frustrated-vs-rest F1",
                 "   ".join(f"{results[k]['customer_service']['frustrated_f1']:.3f}" for k in results)))
    print("\ncolumns: " + ", ".join(results))
    print(table(rows))
    for data in results.values():
        data["customer_service"].pop("errors", None) if data is not results["model"] else None
    path = write_result("sentiment", {**results, "seconds": round(time.monotonic() - started)})
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
