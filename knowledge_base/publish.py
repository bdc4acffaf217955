"""Publishing: embed what is new (cached by text), build the index, save it as the next version."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlalchemy import select

from knowledge_base.db import CachedEmbedding
from knowledge_base.embedder import Embedder
from knowledge_base.errors import EmptyKnowledgeBaseError
from knowledge_base.index import FaqIndex, IndexMeta
from knowledge_base.store import KnowledgeStore

# Variants are indexed with the query prompt: a customer's question is compared with other questions
# (a symmetric task, for which e5 asks for "query: " on both sides); bench/kb_eval.py --prompt compares.
VARIANT_PROMPT = "query"


def _key(model: str, prefix: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{prefix}\x00{text}".encode()).hexdigest()


def embed_cached(store: KnowledgeStore, embedder: Embedder, texts: list[str], kind: str,
                 progress: bool = False) -> np.ndarray:
    """Vectors for texts, computing only those not cached in the database."""
    prefix = embedder.prefix(kind)
    keys = [_key(embedder.fingerprint, prefix, t) for t in texts]
    found: dict[str, np.ndarray] = {}
    with store.session() as s:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            for row in s.scalars(select(CachedEmbedding).where(CachedEmbedding.key.in_(chunk))):
                found[row.key] = np.frombuffer(row.vector, dtype=np.float32)
    missing = sorted({(k, t) for k, t in zip(keys, texts, strict=True) if k not in found})
    if missing:
        vectors = embedder.encode([t for _, t in missing], kind=kind, progress=progress)
        with store.session() as s:
            for (key, _), vector in zip(missing, vectors, strict=True):
                s.merge(CachedEmbedding(key=key, vector=vector.astype(np.float32).tobytes()))
                found[key] = vector
    if not keys:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([found[k] for k in keys]).astype(np.float32)


def build_index(store: KnowledgeStore, embedder: Embedder, folder: Path, hnsw_min_vectors: int,
                progress: bool = False) -> FaqIndex:
    """Index every published variant as the next version and make it current."""
    rows = store.published_variants()
    if not rows:
        raise EmptyKnowledgeBaseError(
            "the knowledge base has no published entries: import some with `python -m knowledge_base import FILE`"
        )
    vectors = embed_cached(store, embedder, [q for _, _, q in rows], VARIANT_PROMPT, progress=progress)
    categories = {e.id: e.category for e in store.entries(status="published")}
    meta = IndexMeta(
        version=store.next_version(),
        model=embedder.fingerprint,
        prompt=VARIANT_PROMPT,
        kind="",
        built_at=0.0,
        entry_ids=[r[0] for r in rows],
        langs=[r[1] for r in rows],
        questions=[r[2] for r in rows],
        answers=store.published_answers(),
        categories=categories,
    )
    index = FaqIndex.build(vectors, meta, hnsw_min_vectors)
    index.save(folder)
    return index
