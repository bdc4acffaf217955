"""Choose the frustration tracker's message-level weights on the held-out part of Kefu's own chat messages
(sentiment/data/cs_messages.jsonl, with a `frustrated` flag, buckets training skips), never on the evaluation set.

    .venv/bin/python -m bench.frustration_tune
Prints frustrated-vs-rest F1 for a grid of the sentiment and frustration-output weights and the frustrated level.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace

from kefu.config import get_settings
from sentiment.__main__ import frustration_config
from sentiment.data import CS_MESSAGES, bucket
from sentiment.evaluation import f1
from sentiment.frustration import single_message_frustration
from sentiment.inference import load_model


def main() -> int:
    """Grid-search and print the best settings."""
    settings = get_settings()
    model = load_model(settings.path(settings.sentiment_model_dir))
    rows = [json.loads(line) for line in CS_MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Only the messages training never saw (the held-out and dev buckets): the model's frustration output is
    # nearly perfect on the ones it was trained on.
    rows = [r for r in rows if bucket(r["text"]) < 15]
    preds = model.predict([r["text"] for r in rows])
    base = frustration_config()
    results = []
    grid = itertools.product((0.3, 0.45, 0.6), (0.3, 0.45, 0.6, 0.8), (0.45, 0.5, 0.55, 0.6, 0.65))
    for sw, fw, level in grid:
        cfg = replace(base, sentiment_weight=sw, frustrated_weight=fw, frustrated_level=level)
        pred = [
            single_message_frustration(p.probs, r["text"], cfg, p.frustrated) >= 0.5
            for r, p in zip(rows, preds, strict=True)
        ]
        gold = [bool(r["frustrated"]) for r in rows]
        tp = sum(g and p for g, p in zip(gold, pred, strict=True))
        fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
        fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
        calm_neg = [p for r, p in zip(rows, pred, strict=True) if r["label"] == "negative" and not r["frustrated"]]
        results.append((f1(tp, fp, fn), sw, fw, level, sum(calm_neg) / max(1, len(calm_neg))))
    results.sort(reverse=True)
    print("F1     sentiment  frustrated  frustrated_level  calm-negative flagged")
    for score, sw, fw, level, fpr in results[:12]:
        print(f"{score:.3f}  {sw:<9}  {fw:<10}  {level:<16}  {fpr:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
