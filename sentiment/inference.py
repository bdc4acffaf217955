"""Sentiment inference with ONNX Runtime: the small part of `sentiment/` that Rasa's environment loads too.

Imports only numpy, onnxruntime and tokenizers (no torch, no app settings), so it runs in both virtualenvs.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

LABELS = ("negative", "neutral", "positive")
META_FILE = "kefu_sentiment.json"
FP32_FILE = "model.onnx"
# e5 models were trained with these prefixes; a classifier fine-tuned on "query: " inputs must see them too.
PREFIX = "query: "
# How many recent texts each process remembers the prediction of.
RECENT_TEXTS = 4096


class SentimentModelMissing(RuntimeError):
    """The built model folder does not exist: run `make sentiment`."""


@dataclass(frozen=True)
class Prediction:
    """One message's sentiment: the label, its calibrated probability, and all three probabilities."""

    label: str
    score: float
    probs: dict[str, float]
    # Probability that the message shows frustration (the model's second output), None for models without it.
    frustrated: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The form stored on parsed messages and printed by the CLI."""
        out: dict[str, Any] = {"label": self.label, "score": round(self.score, 4), "probabilities": dict(self.probs)}
        if self.frustrated is not None:
            out["frustrated"] = round(self.frustrated, 4)
        return out


class SentimentModel:
    """A built sentiment model folder: model.onnx (or model.int8.onnx), tokenizer.json and kefu_sentiment.json.

    `onnx_file` picks a graph; by default the one the build chose, or fp32 when KEFU_SENTIMENT_INT8 is false.
    """

    def __init__(self, folder: Path, threads: int = 1, onnx_file: str | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        if not (folder / META_FILE).exists():
            raise SentimentModelMissing(f"no sentiment model in {folder}: run `make sentiment`")
        self.folder = folder
        self.meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self.temperature = float(self.meta.get("temperature", 1.0))
        self.max_length = int(self.meta.get("max_length", 128))
        # The build names the int8 graph only when it agreed with fp32; KEFU_SENTIMENT_INT8=false runs fp32 anyway.
        self.onnx_file = onnx_file or (str(self.meta.get("onnx_file", FP32_FILE)) if int8_allowed() else FP32_FILE)
        options = ort.SessionOptions()
        # One message at a time on a 2-core box: more threads only contend with the web server.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(folder / self.onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        self._lock = threading.Lock()
        # Customers repeat themselves and each other ("你好", "谢谢", "转人工"): a repeated text is not scored again.
        self._recent: OrderedDict[str, Prediction] = OrderedDict()

    def logits(self, texts: list[str]) -> np.ndarray:
        """Raw (uncalibrated) logits, one row per text."""
        encodings = self.tokenizer.encode_batch([PREFIX + (t or "") for t in texts])
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), self.meta.get("pad_id", 1), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        with self._lock:
            (out,) = self.session.run(["logits"], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(out, dtype=np.float64)

    def predict(self, texts: list[str], batch_size: int = 32) -> list[Prediction]:
        """Calibrated predictions for each text (empty text is neutral)."""
        results: list[Prediction] = []
        for start in range(0, len(texts), batch_size):
            chunk = texts[start : start + batch_size]
            logits = self.logits(chunk)
            probs = softmax(logits[:, : len(LABELS)] / self.temperature)
            frustrated = 1 / (1 + np.exp(-logits[:, len(LABELS)])) if logits.shape[1] > len(LABELS) else None
            for i, row in enumerate(probs):
                best = int(row.argmax())
                named = {k: round(float(v), 4) for k, v in zip(LABELS, row, strict=True)}
                results.append(Prediction(
                    LABELS[best], float(row[best]), named, None if frustrated is None else float(frustrated[i])
                ))
        return results

    def predict_one(self, text: str) -> Prediction:
        """Calibrated prediction for one text (a text scored recently is not scored again)."""
        with self._lock:
            hit = self._recent.get(text)
            if hit is not None:
                self._recent.move_to_end(text)
                return hit
        prediction = self.predict([text])[0]
        with self._lock:
            self._recent[text] = prediction
            while len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)
        return prediction


def int8_allowed() -> bool:
    """Whether the int8 graph may run: KEFU_SENTIMENT_INT8 (Settings.sentiment_int8; `make run` passes it to Rasa)."""
    return os.environ.get("KEFU_SENTIMENT_INT8", "true").strip().lower() not in ("0", "false", "no", "off")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    out: np.ndarray = shifted / shifted.sum(axis=-1, keepdims=True)
    return out


def model_folder(configured: str | Path) -> Path:
    """The built model folder: KEFU_SENTIMENT_MODEL_DIR (set by `make run` for Rasa) or the configured path."""
    return Path(os.environ.get("KEFU_SENTIMENT_MODEL_DIR") or configured)


_models: dict[Path, SentimentModel] = {}
_models_lock = threading.Lock()


def load_model(folder: Path) -> SentimentModel:
    """The model in `folder`, loaded once per process."""
    folder = folder.resolve()
    with _models_lock:
        if folder not in _models:
            _models[folder] = SentimentModel(folder)
        return _models[folder]
