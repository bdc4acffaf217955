"""What a cross-encoder re-ranker would cost on these cores: one forward pass of the bundled encoder over 5
(question, candidate) pairs, at several pair lengths and depths (issue 34 allows 25 ms p95 for 5 candidates).

It runs the ONNX graph `make kb` exports for the KB-tuned e5-small, with the settings the query encoder uses (all
graph optimisations, threads capped at 4), on random token ids: the cost depends on the shape, not the words.
`--layers N` times an encoder cut to its first N layers (the graph is re-exported from the PyTorch model, which
takes a few seconds per depth).

Usage: .venv/bin/python -m bench.rerank_budget [--lengths 32 48 64 96] [--pairs 5] [--layers 12 4 3] [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import summarise_ms, write_result
from kefu.config import get_settings
from knowledge_base.onnx_query import export_hidden_states


def session(path: Path) -> Any:
    """An ONNX Runtime session set up as knowledge_base/onnx_query.py sets up the query encoder's."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = min(4, os.cpu_count() or 1)
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cut_encoder(model_dir: Path, layers: int, out: Path) -> Path:
    """Export the encoder's first `layers` layers to ONNX (what a truncated cross-encoder would run)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir))
    model.encoder.layer = model.encoder.layer[:layers]
    model.config.num_hidden_layers = layers
    ids = torch.ones((1, 8), dtype=torch.long)
    return export_hidden_states(model.eval(), ids, torch.ones_like(ids), out / f"encoder-{layers}.onnx")


def time_pairs(runner: Any, pairs: int, length: int, runs: int) -> dict[str, float]:
    """Latency of one forward pass over `pairs` sequences of `length` tokens."""
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 200_000, size=(pairs, length), dtype=np.int64)
    feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    for _ in range(3):
        runner.run(None, feed)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        runner.run(None, feed)
        samples.append(time.perf_counter() - started)
    return summarise_ms(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[32, 48, 64, 96])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--layers", type=int, nargs="+", default=[12])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    settings = get_settings()
    model_dir = Path(settings.kb_tuned_model)
    full = model_dir / "onnx" / "model.onnx"
    if not full.exists():
        raise SystemExit("no ONNX graph for the KB-tuned model: run `make kb` first")
    results: dict[str, Any] = {"pairs": args.pairs, "cpu_count": os.cpu_count(), "runs": []}
    with tempfile.TemporaryDirectory(prefix="kefu-rerank-") as tmp:
        for layers in args.layers:
            path = full if layers >= 12 else cut_encoder(model_dir, layers, Path(tmp))
            runner = session(path)
            for length in args.lengths:
                figures = time_pairs(runner, args.pairs, length, args.runs)
                results["runs"].append({"layers": layers, "tokens": length, **figures})
                if not args.json:
                    print(f"  {layers:>2} layers, {args.pairs} pairs × {length:>3} tokens: "
                          f"p50 {figures['p50_ms']:.1f} ms  p95 {figures['p95_ms']:.1f} ms", flush=True)
    path = write_result("rerank_budget", results)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
