"""Per-message latency of the sentiment component inside Rasa's environment (Python 3.10, ONNX Runtime), one
message at a time, over the customer-service evaluation set.

    .venv-rasa/bin/python -m bench.sentiment_latency
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Time SentimentAnalyzer.process on each message (after one warm-up) and print p50/p95."""
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.sentiment_analyzer import SentimentAnalyzer

    texts = [json.loads(line)["text"] for line in (ROOT / "bench/data/sentiment_cs.jsonl").read_text().splitlines()]
    started = time.perf_counter()
    component = SentimentAnalyzer({"model_dir": str(ROOT / "models/sentiment")})
    component.process([Message(data={TEXT: "warm up"})])
    load_s = time.perf_counter() - started
    samples = []
    for _ in range(3):
        for text in texts:
            start = time.perf_counter()
            component.process([Message(data={TEXT: text})])
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    result = {
        "messages": len(samples),
        "p50_ms": round(samples[len(samples) // 2], 2),
        "p95_ms": round(samples[int(len(samples) * 0.95)], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "load_s": round(load_s, 2),
        "onnx_file": component.model.onnx_file,
    }
    (ROOT / "bench/results").mkdir(exist_ok=True)
    (ROOT / "bench/results/sentiment_latency.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"sentiment component ({result['onnx_file']}): p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, "
          f"mean {result['mean_ms']} ms over {len(samples)} messages; model load {result['load_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
