"""Rebuild the full sentiment model from the base encoder plus the committed delta, and export it to ONNX.

`make sentiment` runs this: merge the LoRA adapter into the base weights, put the head on top, export one graph
(tokens in, logits out), fuse it with ONNX Runtime's transformer optimizer (attention, GELU and layer norms as
single kernels: the same numbers, faster on CPU), then quantise it to int8 (`kefu.onnx_int8`: every MatMul but the
feed-forward outputs) and keep the int8 graph only if it agrees with fp32.

That agreement check scores 500 held-out texts with both graphs, more than half of a build's time. Its outcome
depends only on the base, the delta and the quantisation recipe, so it is kept beside the delta (`int8_check.json`)
and a build for the same delta and recipe reuses it; `python -m sentiment build --check-int8` (and `train`) run it
again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from kefu import onnx_int8
from sentiment.inference import FP32_FILE, LABELS, META_FILE, SentimentModel
from sentiment.train import DELTA_META, HEAD_FILE, MeanPoolHead, load_base

INT8_FILE = "model.int8.onnx"
# int8 is kept when it gives the fp32 label and frustration flag on at least this share of the check texts.
INT8_MIN_AGREEMENT = 0.98
# The int8 check's outcome for one delta (not part of the delta's digest: it is derived from the rest).
CHECK_FILE = "int8_check.json"
# Bumped when the build itself changes (2: fused graph; 3: int8 with fp32 feed-forward outputs), so `make sentiment`
# rebuilds an older folder.
BUILD_FORMAT = 3


class Classifier(nn.Module):
    """Encoder, mean pooling and head as one module: token ids and mask in, logits out."""

    def __init__(self, encoder: Any, head: MeanPoolHead) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Logits for a padded batch."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        out: torch.Tensor = self.head(hidden, attention_mask)
        return out


def delta_digest(delta: Path) -> str:
    """A hash of the delta's files: the built model records it, so a changed delta is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted(p for p in delta.iterdir() if p.is_file() and p.name != CHECK_FILE):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_classifier(base: Path, delta: Path) -> tuple[Classifier, Any]:
    """The merged torch classifier (eval mode) and its tokenizer."""
    from peft import PeftModel
    from safetensors.torch import load_file

    model, tokenizer = load_base(base)
    merged = PeftModel.from_pretrained(model, str(delta)).merge_and_unload()
    state = load_file(str(delta / HEAD_FILE))
    head = MeanPoolHead(merged.config.hidden_size, outputs=int(state["linear.weight"].shape[0]))
    head.load_state_dict(state)
    return Classifier(merged, head).eval(), tokenizer


def is_fresh(out: Path, delta: Path) -> bool:
    """Whether `out` holds a model built from this delta."""
    try:
        meta = json.loads((out / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(
        meta.get("delta_digest") == delta_digest(delta)
        and meta.get("build_format") == BUILD_FORMAT
        and (out / meta.get("onnx_file", FP32_FILE)).exists()
    )


def recorded_check(delta: Path) -> dict[str, Any] | None:
    """The int8 check recorded for exactly this delta and recipe, or None (never checked, or either changed since)."""
    try:
        check = json.loads((delta / CHECK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fresh = check.get("delta_digest") == delta_digest(delta) and check.get("recipe") == onnx_int8.RECIPE
    return check if fresh else None


def record_check(delta: Path, agreement: float, texts: int) -> None:
    """Keep the int8 check's outcome beside the delta, so the next build of it skips the check."""
    check = {"delta_digest": delta_digest(delta), "recipe": onnx_int8.RECIPE, "int8_agreement": round(agreement, 4),
             "texts": texts,
             "min_agreement": INT8_MIN_AGREEMENT, "keep_int8": agreement >= INT8_MIN_AGREEMENT}
    (delta / CHECK_FILE).write_text(json.dumps(check, indent=2) + "\n", encoding="utf-8")


def fuse(path: Path, encoder_config: Any) -> None:
    """Rewrite the exported graph in place with ONNX Runtime's fused BERT kernels (about 10–15% faster on CPU)."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(path), model_type="bert", num_heads=encoder_config.num_attention_heads,
        hidden_size=encoder_config.hidden_size, opt_level=1,
    )
    fused.save_model_to_file(str(path))


def build(base: Path, delta: Path, out: Path, check_texts: list[str] | None) -> dict[str, Any]:
    """Merge, export fp32, quantise to int8, compare on `check_texts`, and write the model folder.

    With `check_texts` None the check recorded for this delta decides (int8 is not even built when fp32 won).
    """
    # Before the merge and export, so a missing check fails at once rather than after them.
    recorded = recorded_check(delta) if check_texts is None else None
    if check_texts is None and recorded is None:
        raise ValueError(f"no int8 check recorded for {delta}: pass check texts")
    classifier, tokenizer = load_classifier(base, delta)
    delta_meta = json.loads((delta / DELTA_META).read_text(encoding="utf-8"))
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sample = tokenizer(["query: a sample message"], return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings():
        # Tracer warnings concern the shapes declared dynamic here.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            classifier, (sample["input_ids"], sample["attention_mask"]), str(tmp / FP32_FILE),
            input_names=["input_ids", "attention_mask"], output_names=["logits"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    if recorded is None or recorded["keep_int8"]:
        onnx_int8.quantize(tmp / FP32_FILE, tmp / INT8_FILE)
    fuse(tmp / FP32_FILE, encoder_config=classifier.encoder.config)
    tokenizer.save_pretrained(str(tmp))
    meta: dict[str, Any] = {
        "labels": list(LABELS),
        "temperature": delta_meta["temperature"],
        "max_length": delta_meta["max_length"],
        "pad_id": tokenizer.pad_token_id,
        "delta_digest": delta_digest(delta),
        "build_format": BUILD_FORMAT,
        "onnx_file": FP32_FILE,
    }
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if recorded is not None:
        meta["int8_agreement"] = recorded["int8_agreement"]
        meta["onnx_file"] = INT8_FILE if recorded["keep_int8"] else FP32_FILE
        return _finish(tmp, out, meta)
    assert check_texts is not None

    # Keep int8 only where it changes (almost) no decision: it is 2-3x faster on these cores.
    # Each graph named explicitly, so KEFU_SENTIMENT_INT8=false cannot make this compare fp32 with itself.
    fp32 = SentimentModel(tmp, onnx_file=FP32_FILE)
    int8 = SentimentModel(tmp, onnx_file=INT8_FILE)
    # The frustration flag counts too: int8 can move that output far while the label holds.
    a = [(p.label, (p.frustrated or 0) >= 0.5) for p in fp32.predict(check_texts)]
    b = [(p.label, (p.frustrated or 0) >= 0.5) for p in int8.predict(check_texts)]
    agreement = float(np.mean([x == y for x, y in zip(a, b, strict=True)])) if len(check_texts) else 1.0
    meta["int8_agreement"] = round(agreement, 4)
    meta["onnx_file"] = INT8_FILE if agreement >= INT8_MIN_AGREEMENT else FP32_FILE
    record_check(delta, agreement, len(check_texts))
    return _finish(tmp, out, meta)


def _finish(tmp: Path, out: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write the final metadata and swap the built folder in."""
    (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return meta
