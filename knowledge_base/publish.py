"""Publishing: embed what is new (cached by text), build the index, save it as the next version."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from sqlalchemy import select

from knowledge_base.db import CachedEmbedding
from knowledge_base.embedder import Embedder
from knowledge_base.errors import EmptyKnowledgeBaseError
from knowledge_base.index import FaqIndex, IndexMeta, rows_by_entry
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


def language_gap(vectors: np.ndarray, entry_ids: list[str], langs: list[str],
                 targets: tuple[np.ndarray, list[str], list[str]] | None = None, sample: int = 2000) -> float:
    """Mean over the variants of bilingual entries of (best same-language target − best other-language target).

    e5 scores a question higher against a text in its own language than against a translation of it, so an entry
    written in one language only loses to same-language look-alikes. The KB measures that gap on its own
    bilingual entries (at most `sample` of them, evenly spread), so no dev set is needed to correct it. The
    targets are the entry's other variants, or (vectors, entry ids, langs) of its answers.
    """
    same_rows = targets is None
    target_vectors, target_entries, target_langs = targets or (vectors, entry_ids, langs)
    groups, target_groups = rows_by_entry(entry_ids), rows_by_entry(target_entries)
    bilingual = [e for e, rows in groups.items() if len({langs[r] for r in rows}) > 1
                 and len({target_langs[r] for r in target_groups.get(e, [])}) > 1]
    gaps: list[float] = []
    for entry_id in bilingual[:: max(1, len(bilingual) // sample)]:
        rows, columns = groups[entry_id], target_groups[entry_id]
        block = vectors[rows] @ target_vectors[columns].T
        if same_rows:
            np.fill_diagonal(block, -np.inf)  # a variant is not its own sibling
        same = np.array([langs[r] for r in rows])[:, None] == np.array([target_langs[c] for c in columns])[None, :]
        best_same = np.where(same, block, -np.inf).max(axis=1)
        best_other = np.where(~same, block, -np.inf).max(axis=1)
        usable = np.isfinite(best_same) & np.isfinite(best_other)
        gaps += (best_same - best_other)[usable].tolist()
    return round(float(np.mean(gaps)), 4) if gaps else 0.0


def build_index(store: KnowledgeStore, embedder: Embedder, folder: Path, hnsw_min_vectors: int,
                progress: bool = False) -> FaqIndex:
    """Index every published variant as the next version and make it current."""
    rows = store.published_variants()
    if not rows:
        raise EmptyKnowledgeBaseError(
            "the knowledge base has no published entries: import some with `python -m knowledge_base import FILE`"
        )
    vectors = embed_cached(store, embedder, [q for _, _, q in rows], VARIANT_PROMPT, progress=progress)
    answers = store.published_answers()
    # Answers are embedded like questions: the tuned model compares questions with questions, and an answer
    # read as a question still names its topic in more words than any one variant.
    answer_rows = [(entry_id, lang, text) for entry_id, texts in sorted(answers.items())
                   for lang, text in sorted(texts.items()) if text]
    answer_vectors = embed_cached(store, embedder, [t for _, _, t in answer_rows], VARIANT_PROMPT, progress=progress)
    categories = {e.id: e.category for e in store.entries(status="published")}
    entry_ids, langs = [r[0] for r in rows], [r[1] for r in rows]
    answer_entries, answer_langs = [r[0] for r in answer_rows], [r[1] for r in answer_rows]
    meta = IndexMeta(
        version=store.next_version(),
        model=embedder.fingerprint,
        prompt=VARIANT_PROMPT,
        kind="",
        built_at=0.0,
        entry_ids=entry_ids,
        langs=langs,
        questions=[r[2] for r in rows],
        answers=answers,
        categories=categories,
        language_gap=language_gap(vectors, entry_ids, langs),
        answer_entries=answer_entries,
        answer_langs=answer_langs,
        answer_language_gap=language_gap(vectors, entry_ids, langs, (answer_vectors, answer_entries, answer_langs)),
        tier_answers=store.published_tier_answers(),
    )
    index = FaqIndex.build(vectors, meta, hnsw_min_vectors, answer_vectors)
    index.save(folder)
    return index
