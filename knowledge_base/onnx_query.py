"""A fast path for query embeddings: the same transformer exported to ONNX and run by ONNX Runtime.

One short question through PyTorch takes about 25 ms on 2 cores, most of it framework overhead; ONNX Runtime
runs the identical graph in about 8 ms (cosine to the PyTorch vector ≥ 0.99999), which is what keeps a search
under 20 ms. Passages (index builds) and tuning stay on sentence-transformers; only mean-pooled models qualify.

Each export also writes an int8 copy (`kefu.onnx_int8`) and checks it against the fp32 graph on the demo KB's
questions: with KEFU_KB_QUERY_INT8 on, queries use it when every vector stays close (about 8 instead of 12 ms of
CPU a question on one core).
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

ONNX_FILE = Path("onnx") / "model.onnx"
INT8_FILE = Path("onnx") / "model.int8.onnx"
# The int8 check's outcome, written with each export: the recipe, the cosines to fp32, and whether int8 serves.
INT8_CHECK = Path("onnx") / "int8_check.json"
# int8 serves queries only when its vectors stay this close to fp32's on the check texts. The recipe in use gives
# mean 0.995, worst 0.985 (top entry and answer decisions as fp32's within one dev question in 430); quantising every
# MatMul gave mean 0.985, worst 0.954 and lost 2.8 points of answered questions, which these floors refuse.
INT8_MIN_MEAN_COSINE = 0.99
INT8_MIN_COSINE = 0.98
# Check texts: one in this many of the demo KB's questions and variants (about 670, both languages).
CHECK_EVERY = 10
DEMO_KB = Path(__file__).resolve().parent / "demo"


def mean_pooled(model_dir: Path) -> bool:
    """Whether the sentence-transformers folder pools by plain mean (what OnnxQueryEncoder reproduces)."""
    try:
        config = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return config.get("pooling_mode") == "mean" or bool(config.get("pooling_mode_mean_tokens"))


def export(model: SentenceTransformer, model_dir: Path) -> Path | None:
    """Write model_dir/onnx/model.onnx and its checked int8 copy from a loaded model; None when it does not qualify."""
    if not mean_pooled(model_dir):
        return None
    sample = model.tokenizer(["query: a sample question"], return_tensors="pt")
    out = model_dir / ONNX_FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    # A stale int8 copy or check must never outlive the graph it was made from, even if the new check fails midway.
    (model_dir / INT8_CHECK).unlink(missing_ok=True)
    (model_dir / INT8_FILE).unlink(missing_ok=True)
    export_hidden_states(model[0].auto_model.eval(), sample["input_ids"], sample["attention_mask"], out)
    prompts = dict(getattr(model, "prompts", {}) or {})
    quantize_checked(model_dir, model.tokenizer, prompts.get("query", "query: "))
    return out


def check_texts() -> list[str]:
    """The int8 check's texts: every CHECK_EVERY-th question of the demo KB (questions and variants)."""
    from knowledge_base import io

    texts = [question for path in sorted(DEMO_KB.glob("*.jsonl")) for entry in io.read_file(path)
             for questions in entry.variants.values() for question in questions]
    return texts[::CHECK_EVERY]


def quantize_checked(model_dir: Path, tokenizer: Any, prefix: str) -> dict[str, Any]:
    """Write the int8 copy of model_dir's query graph, compare its vectors with fp32's and record the outcome."""
    from kefu import onnx_int8

    try:
        onnx_int8.quantize(model_dir / ONNX_FILE, model_dir / INT8_FILE)
    except Exception as exc:  # the copy is optional: a graph the quantiser cannot take still serves in fp32
        logger.warning("no int8 copy of %s: %s", model_dir / ONNX_FILE, exc)
        return _record(model_dir, {"recipe": onnx_int8.RECIPE, "keep_int8": False, "error": str(exc)})
    texts = [prefix + t for t in check_texts()]
    fp32 = OnnxQueryEncoder(model_dir / ONNX_FILE, tokenizer, 512)
    int8 = OnnxQueryEncoder(model_dir / INT8_FILE, tokenizer, 512)
    cosines = np.concatenate([(fp32.encode(texts[i:i + 32]) * int8.encode(texts[i:i + 32])).sum(axis=1)
                              for i in range(0, len(texts), 32)] or [np.zeros(1)])
    mean, worst = float(cosines.mean()), float(cosines.min())
    keep = mean >= INT8_MIN_MEAN_COSINE and worst >= INT8_MIN_COSINE
    return _record(model_dir, {"recipe": onnx_int8.RECIPE, "texts": len(texts), "cosine_mean": round(mean, 5),
                               "cosine_min": round(worst, 5), "min_mean_cosine": INT8_MIN_MEAN_COSINE,
                               "min_cosine": INT8_MIN_COSINE, "keep_int8": keep})


def _record(model_dir: Path, check: dict[str, Any]) -> dict[str, Any]:
    """Write the check beside the graph; a refused copy is deleted, so only a kept one is ever on disk."""
    if not check["keep_int8"]:
        (model_dir / INT8_FILE).unlink(missing_ok=True)
    (model_dir / INT8_CHECK).write_text(json.dumps(check, indent=2) + "\n", encoding="utf-8")
    return check


def int8_check(model_dir: Path) -> dict[str, Any] | None:
    """The int8 check recorded for model_dir's current graph under the current recipe, or None."""
    from kefu.onnx_int8 import RECIPE

    try:
        check = json.loads((model_dir / INT8_CHECK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    graph = model_dir / ONNX_FILE
    current = (check.get("recipe") == RECIPE and graph.exists()
               and (model_dir / INT8_CHECK).stat().st_mtime >= graph.stat().st_mtime)
    return check if current else None


def query_graph(model_dir: Path, int8: bool = False) -> Path:
    """The graph that serves queries: the int8 copy when `int8` and its check kept it, else the fp32 graph."""
    check = int8_check(model_dir) if int8 else None
    if check is not None and check.get("keep_int8") and (model_dir / INT8_FILE).exists():
        return model_dir / INT8_FILE
    return model_dir / ONNX_FILE


def export_hidden_states(transformer: Any, input_ids: Any, attention_mask: Any, out: Path) -> Path:
    """Write a transformers encoder as an ONNX graph from (input_ids, attention_mask) to its last hidden states,
    batch and length dynamic; the sample tensors only trace it."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return hidden

    axes = {0: "batch", 1: "tokens"}
    # The TorchScript exporter: the dynamo one needs onnxscript and gains nothing for an encoder this size.
    # Its tracer warnings are about shapes we declare dynamic below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(transformer), (input_ids, attention_mask), str(out),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17, dynamo=False,
        )
    return out


class FileTokenizer:
    """The model folder's tokenizer.json through the `tokenizers` library: the same ids as the transformers
    tokenizer, without importing PyTorch (which the action server then never loads for queries)."""

    def __init__(self, folder: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        try:
            pad = json.loads((folder / "tokenizer_config.json").read_text()).get("pad_token") or "<pad>"
        except (OSError, ValueError):
            pad = "<pad>"
        pad_id = self.tokenizer.token_to_id(pad if isinstance(pad, str) else "<pad>")
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=pad_id if pad_id is not None else 0, pad_token=str(pad))

    def __call__(self, texts: list[str], **_: Any) -> dict[str, np.ndarray]:
        """{"input_ids", "attention_mask"} for a batch, padded to its longest text."""
        encodings = self.tokenizer.encode_batch(texts)
        return {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64)}


def declared_prompts(folder: Path) -> dict[str, str] | None:
    """The query/passage prompts a sentence-transformers folder declares, or None when it declares none."""
    try:
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text()).get("prompts") or {}
    except (OSError, ValueError):
        return None
    return {k: str(prompts[k]) for k in ("query", "passage")} if {"query", "passage"} <= prompts.keys() else None


class OnnxQueryEncoder:
    """Tokenise with the model's own tokenizer, run the ONNX graph, mean-pool and normalise."""

    def __init__(self, path: Path, tokenizer: Any, max_length: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        # No busy-waiting between runs: ONNX Runtime's threads spin by default, which on a small machine under load
        # burns the cores that Rasa's NLU workers and the other requests need (one query's latency is unchanged).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.max_length = max_length

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors for already-prefixed texts."""
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
        mask = batch["attention_mask"].astype(np.int64)
        hidden: np.ndarray = self.session.run(
            None, {"input_ids": batch["input_ids"].astype(np.int64), "attention_mask": mask})[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        unit: np.ndarray = (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)
        return unit
