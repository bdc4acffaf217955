"""Build the knowledge base's parts from Settings, once per process."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from kefu.config import Settings, get_settings
from knowledge_base.answering import KnowledgeBase, Thresholds
from knowledge_base.embedder import Embedder
from knowledge_base.index import FaqIndex
from knowledge_base.publish import build_index
from knowledge_base.review import ReviewQueue
from knowledge_base.store import KnowledgeStore

# lru_cache alone may call the function again while a first call runs: two threads asking at once (a server's
# warm-up and its first requests) would get two embedders, and each would load the model.
_embedders_lock = threading.Lock()


@lru_cache(maxsize=4)
def _embedder(model: str, onnx_queries: bool, int8: bool) -> Embedder:
    return Embedder(model, onnx_queries=onnx_queries, int8=int8)


def embedder(model: str, onnx_queries: bool = True, int8: bool = False) -> Embedder:
    """One embedder per model per process (one, even when threads ask at once)."""
    with _embedders_lock:
        return _embedder(model, onnx_queries, int8)


def clear_embedders() -> None:
    """Forget the embedders (their model files changed)."""
    with _embedders_lock:
        _embedder.cache_clear()


def query_embedder(settings: Settings | None = None) -> Embedder:
    """The embedder the settings name (shared by search, review and publishing in one process)."""
    settings = settings or get_settings()
    return embedder(settings.kb_model_path, settings.kb_onnx_queries, settings.kb_query_int8)


def store(settings: Settings | None = None) -> KnowledgeStore:
    """The store the settings point at."""
    settings = settings or get_settings()
    return KnowledgeStore(settings.kb_url)


def knowledge_base(settings: Settings | None = None) -> KnowledgeBase:
    """A searcher over the settings' index folder."""
    settings = settings or get_settings()
    return KnowledgeBase(settings.kb_index_path, query_embedder(settings), Thresholds.from_settings(settings),
                         top_k=settings.kb_top_k, reload_check_s=settings.kb_reload_check_s,
                         model_resolver=lambda: settings.kb_model_path, lexical_weight=settings.kb_lexical_weight,
                         answer_weight=settings.kb_answer_weight)


def review_queue(settings: Settings | None = None) -> ReviewQueue:
    """The review queue in the settings' store."""
    settings = settings or get_settings()
    return ReviewQueue(store(settings), query_embedder(settings), settings.kb_cluster_threshold)


def publish(settings: Settings | None = None, progress: bool = False) -> FaqIndex:
    """Rebuild the index from the published entries as a new version; running searchers pick it up."""
    settings = settings or get_settings()
    return build_index(store(settings), query_embedder(settings), settings.kb_index_path,
                       settings.kb_hnsw_min_vectors, progress=progress)


def tuning_drift(settings: Settings | None = None) -> dict[str, Any] | None:
    """How far the published KB has moved from the one the active embedder delta was tuned on (None: no delta)."""
    from knowledge_base.delta import drift, read_meta
    from knowledge_base.tuning import active_delta

    settings = settings or get_settings()
    folder = active_delta(settings) if settings.kb_embedding_model == "auto" else None
    meta = read_meta(folder) if folder is not None else None
    if meta is None:
        return None
    report = drift(meta, [(lang, q) for _, lang, q in store(settings).published_variants()])
    shipped = folder == settings.path(settings.kb_shipped_delta)
    return {**report, "delta": "shipped" if shipped else "local",
            "retune": report["new_share"] >= settings.kb_retune_share, "retune_share": settings.kb_retune_share}
