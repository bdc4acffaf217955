"""The KB-tuned embedder kept as a small delta on the base model, so a first `make kb` rebuilds it in seconds.

`tune` changes every encoder weight a little (about 1% of its norm; the embedding table stays frozen). The change to
each weight matrix is quantised in blocks of 32 to 3 bits with one fp16 scale per block (the base itself ships as
4-bit blocks of 32), packed two values to a byte and xz-compressed: 7.6 MB for the 21 M changed weights, where the
whole model is 470 MB. The LayerNorm weights and the biases, a few thousand numbers, are kept whole. Rebuilt
vectors match the fully tuned model's at cosine ≥ 0.9999 (`fidelity`, checked by `tune` and recorded in
delta.json). A low-rank (LoRA) factoring was tried first: fine-tuning's change is not low-rank, and rank ~80 still
left some vectors at cosine 0.997. Rebuilding is arithmetic on the base checkpoint in NumPy: no training, no torch.
delta.json keeps the tuning report and short hashes of the questions tuned on, from which `drift` tells how far the
published KB has moved since.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.errors import ModelSetupError

DELTA_FILE = "delta.safetensors.xz"
META_FILE = "delta.json"
STAMP = "kefu_tuning.json"
WEIGHTS = "model.safetensors"
BLOCK = 32
BITS = 3
# A delta must reproduce the tuned vectors this closely (`tune` refuses to keep one that does not).
MIN_COSINE = 0.999


def question_key(lang: str, question: str) -> str:
    """A short, stable hash of one question variant (delta.json lists these, space-separated, not the texts)."""
    return hashlib.sha1(f"{lang}\x00{question.strip()}".encode()).hexdigest()[:10]


def delta_digest(delta: Path) -> str:
    """A hash of the delta's weights: the rebuilt model records it, so a new delta is rebuilt."""
    return hashlib.sha256((delta / DELTA_FILE).read_bytes()).hexdigest()[:16]


def read_meta(delta: Path) -> dict[str, Any] | None:
    """delta.json of a delta folder, or None when the folder holds no complete delta."""
    try:
        meta = dict(json.loads((delta / META_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
    return meta if (delta / DELTA_FILE).is_file() else None


def quantise(change: np.ndarray, bits: int = BITS) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric blocks of BLOCK values: (codes packed two per byte, one fp16 scale per block)."""
    top = 2 ** (bits - 1) - 1
    blocks = change.astype(np.float32).reshape(-1, BLOCK)
    scale = (np.abs(blocks).max(axis=1) / top).astype(np.float16)
    safe = np.where(scale == 0, 1, scale).astype(np.float32)[:, None]
    codes = (np.clip(np.rint(blocks / safe), -top, top) + 8).astype(np.uint8).reshape(-1)
    return codes[0::2] | (codes[1::2] << 4), scale


def dequantise(packed: np.ndarray, scale: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The change that quantise encoded, as float32 of the given shape."""
    codes = np.empty(packed.size * 2, dtype=np.int8)
    codes[0::2] = (packed & 0x0F).astype(np.int8) - 8
    codes[1::2] = (packed >> 4).astype(np.int8) - 8
    values = codes.reshape(-1, BLOCK).astype(np.float32) * scale.astype(np.float32)[:, None]
    return values.reshape(shape)


def extract(base: Path, tuned: Path, out: Path, report: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the delta tuned − base to out (quantised matrices, whole small tensors, delta.json); return its meta."""
    from safetensors.numpy import load_file, save

    before = load_file(str(base / WEIGHTS))
    after = load_file(str(tuned / WEIGHTS))
    if before.keys() != after.keys():
        raise ModelSetupError(f"{tuned} and {base} are not the same architecture: their weights differ in name")
    tensors: dict[str, np.ndarray] = {}
    shapes: dict[str, list[int]] = {}
    for name in sorted(after):
        if after[name].shape != before[name].shape:
            raise ModelSetupError(f"{name} has another shape in {tuned} than in {base}")
        if np.array_equal(after[name], before[name]):
            continue
        if after[name].ndim == 2 and after[name].size % BLOCK == 0:
            tensors[name + ".codes"], tensors[name + ".scale"] = quantise(after[name] - before[name])
            shapes[name] = list(after[name].shape)
        else:
            tensors[name] = np.ascontiguousarray(after[name])
    out.mkdir(parents=True, exist_ok=True)
    packed = save(tensors, metadata={"format": "kefu-delta-1", "shapes": json.dumps(shapes)})
    (out / DELTA_FILE).write_bytes(lzma.compress(packed, preset=9))
    meta = {"format": 1, "bits": BITS, "block": BLOCK, "matrices": len(shapes),
            "changed_weights": int(sum(np.prod(v) for v in shapes.values())),
            "bytes": (out / DELTA_FILE).stat().st_size, "tuning": report or {}}
    write_meta(out, meta)
    return meta


def apply(base: Path, delta: Path, out: Path) -> dict[str, Any]:
    """Rebuild the tuned model folder at out from the base folder plus delta; return the stamp written there."""
    from safetensors.numpy import load, load_file, save_file

    meta = read_meta(delta)
    if meta is None:
        raise ModelSetupError(f"{delta} holds no complete embedder delta ({META_FILE} and {DELTA_FILE})")
    try:
        raw = lzma.decompress((delta / DELTA_FILE).read_bytes())
        tensors = load(raw)
    except (lzma.LZMAError, ValueError, OSError) as exc:
        raise ModelSetupError(f"{delta / DELTA_FILE} is damaged ({exc}); restore it or re-run tune") from exc
    shapes = json.loads(_metadata(raw).get("shapes", "{}"))
    weights = load_file(str(base / WEIGHTS))
    for name, shape in shapes.items():
        if name not in weights or list(weights[name].shape) != shape:
            raise ModelSetupError(f"the delta changes {name}, which {base} does not have in that shape")
        weights[name] = weights[name] + dequantise(tensors[name + ".codes"], tensors[name + ".scale"], tuple(shape))
    for name, value in tensors.items():
        if name.endswith((".codes", ".scale")) and name.rsplit(".", 1)[0] in shapes:
            continue
        if name not in weights or weights[name].shape != value.shape:
            raise ModelSetupError(f"the delta's {name} does not fit {base}")
        weights[name] = value
    staging = out.with_name(out.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    # Everything but the weights (tokenizer, pooling, prompts) is the base folder's; ONNX graphs are rebuilt later.
    shutil.copytree(base, staging, ignore=shutil.ignore_patterns(WEIGHTS, "onnx", "kefu_*.json"))
    save_file({k: np.ascontiguousarray(v) for k, v in weights.items()}, str(staging / WEIGHTS),
              metadata={"format": "pt"})
    # The prefixes it was tuned with: a base folder that leaves them unsaid (a downloaded e5) gets them declared.
    prompts = meta.get("tuning", {}).get("prompts")
    if prompts:
        config_path = staging / "config_sentence_transformers.json"
        config = json.loads(config_path.read_text()) if config_path.exists() else {}
        config["prompts"] = {**(config.get("prompts") or {}), **prompts}
        config_path.write_text(json.dumps(config, indent=2))
    stamp = {k: v for k, v in meta.get("tuning", {}).items() if k != "questions"}
    stamp["delta_digest"] = delta_digest(delta)
    (staging / STAMP).write_text(json.dumps(stamp, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return stamp


def _metadata(raw: bytes) -> dict[str, str]:
    """The __metadata__ of a safetensors byte string (its JSON header)."""
    size = int.from_bytes(raw[:8], "little")
    return dict(json.loads(raw[8 : 8 + size]).get("__metadata__", {}))


def write_meta(delta: Path, meta: dict[str, Any]) -> None:
    """Write delta.json (the tuning report, the fidelity check, the tuned questions' hashes)."""
    (delta / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")


def is_built_from(out: Path, delta: Path) -> bool:
    """Whether the model folder at out was rebuilt from exactly this delta."""
    try:
        stamp = json.loads((out / STAMP).read_text())
    except (OSError, ValueError):
        return False
    return read_meta(delta) is not None and stamp.get("delta_digest") == delta_digest(delta)


def fidelity(reference: Path, rebuilt: Path, texts: list[str]) -> dict[str, float]:
    """Cosines between the two models' query vectors for texts: how faithfully the delta reproduces the tuned model."""
    from knowledge_base.embedder import Embedder

    first, second = (Embedder(str(folder), onnx_queries=False).encode(texts, batch_size=64)
                     for folder in (reference, rebuilt))
    cosines = (first * second).sum(axis=1)
    return {"texts": len(texts), "min_cosine": round(float(cosines.min()), 5),
            "mean_cosine": round(float(cosines.mean()), 6)}


def drift(meta: dict[str, Any], published: list[tuple[str, str]]) -> dict[str, Any]:
    """How far the published questions (lang, text) have moved from those the delta was tuned on."""
    tuned = set(str(meta.get("tuning", {}).get("questions", "")).split())
    current = {question_key(lang, q) for lang, q in published}
    new = len(current - tuned)
    gone = len(tuned - current)
    share = new / len(current) if current else 0.0
    return {"tuned_questions": len(tuned), "published_questions": len(current), "new_since_tuning": new,
            "gone_since_tuning": gone, "new_share": round(share, 3)}
