"""FAISS inner-product index over question variants, saved as versioned files with a CURRENT pointer."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from knowledge_base.errors import IndexMissingError
from knowledge_base.lexical import LexicalIndex

CURRENT = "CURRENT"
ANSWERS = ".answers.npy"
KEEP_VERSIONS = 3


@dataclass
class IndexMeta:
    """What each vector row stands for, plus the answers, so a search needs no database query."""

    version: int
    model: str
    prompt: str
    kind: str
    built_at: float
    entry_ids: list[str] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    # How much higher a question scores against a wording in its own language than against a translation
    # (measured on this KB at publish); entries with no wording in the question's language get it back.
    language_gap: float = 0.0
    # Which entry and language each row of the answer vectors (v{N}.answers.npy) belongs to, and the same gap
    # measured between a question and the answers in either language.
    answer_entries: list[str] = field(default_factory=list)
    answer_langs: list[str] = field(default_factory=list)
    answer_language_gap: float = 0.0
    # Per entry, the answers of customer tiers that have their own (tier → language → text); not searched.
    tier_answers: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


def rows_by_entry(entry_ids: list[str]) -> dict[str, list[int]]:
    """The row numbers of each entry id, in order."""
    rows: dict[str, list[int]] = {}
    for row, entry_id in enumerate(entry_ids):
        rows.setdefault(entry_id, []).append(row)
    return rows


def make_faiss_index(vectors: np.ndarray, hnsw_min_vectors: int) -> tuple[Any, str]:
    """Exact IndexFlatIP for small sets, HNSW (inner product) from hnsw_min_vectors on."""
    dim = vectors.shape[1]
    index: Any
    if len(vectors) >= hnsw_min_vectors:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        # Measured by bench/kb_latency.py: top-1 = exact search 87% at 1M vectors with 96, search still < 3 ms with 256.
        index.hnsw.efSearch = 256
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


class FaqIndex:
    """A loaded index version: FAISS vectors and their metadata."""

    def __init__(self, index: Any, meta: IndexMeta, answer_vectors: np.ndarray | None = None) -> None:
        self.index = index
        self.meta = meta
        # None for versions published before answers were embedded: answer matching is then skipped.
        self.answer_vectors = answer_vectors

    @cached_property
    def answer_rows(self) -> dict[str, list[int]]:
        """The rows of each entry's answers in answer_vectors."""
        return rows_by_entry(self.meta.answer_entries)

    @cached_property
    def lexical(self) -> LexicalIndex:
        """The word-overlap index of this version's variants (built on first use, a few ms per thousand)."""
        return LexicalIndex(self.meta.entry_ids, self.meta.langs, self.meta.questions)

    @cached_property
    def entry_langs(self) -> dict[str, frozenset[str]]:
        """The languages each entry has question variants in."""
        langs: dict[str, set[str]] = {}
        for entry_id, lang in zip(self.meta.entry_ids, self.meta.langs, strict=True):
            langs.setdefault(entry_id, set()).add(lang)
        return {entry_id: frozenset(found) for entry_id, found in langs.items()}

    @property
    def version(self) -> int:
        """The published version this index belongs to."""
        return self.meta.version

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, meta: IndexMeta, hnsw_min_vectors: int,
              answer_vectors: np.ndarray | None = None) -> FaqIndex:
        """Index vectors (one per meta row); answer_vectors (one per meta.answer_entries row) are kept beside."""
        index, meta.kind = make_faiss_index(vectors, hnsw_min_vectors)
        meta.built_at = time.time()
        return cls(index, meta, answer_vectors)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids) of the k nearest rows for each query; missing hits have row -1."""
        k = max(1, min(k, len(self))) if len(self) else 1
        scores, rows = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        return scores, rows

    def save(self, folder: Path) -> None:
        """Write v{N}.faiss and v{N}.json, then point CURRENT at N atomically; keep the last few versions."""
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / f"v{self.version}"
        faiss.write_index(self.index, f"{stem}.faiss.tmp")
        Path(f"{stem}.json.tmp").write_text(json.dumps(asdict(self.meta), ensure_ascii=False), encoding="utf-8")
        if self.answer_vectors is not None:
            with open(f"{stem}{ANSWERS}.tmp", "wb") as handle:
                np.save(handle, self.answer_vectors.astype(np.float32))
            os.replace(f"{stem}{ANSWERS}.tmp", f"{stem}{ANSWERS}")
        os.replace(f"{stem}.faiss.tmp", f"{stem}.faiss")
        os.replace(f"{stem}.json.tmp", f"{stem}.json")
        current = current_version(folder)
        # A slower concurrent build of an older version must not win.
        if current is None or current < self.version:
            tmp = folder / f"{CURRENT}.tmp{os.getpid()}"
            tmp.write_text(str(self.version))
            os.replace(tmp, folder / CURRENT)
        versions = sorted(int(p.stem[1:]) for p in folder.glob("v*.faiss") if p.stem[1:].isdigit())
        for old in versions[:-KEEP_VERSIONS]:
            for suffix in (".faiss", ".json", ANSWERS):
                (folder / f"v{old}{suffix}").unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, version: int | None = None) -> FaqIndex:
        """Load a version (default: CURRENT)."""
        version = version if version is not None else current_version(folder)
        if version is None:
            raise IndexMissingError(f"no index in {folder}: run `python -m knowledge_base build-index` (or `make kb`)")
        stem = folder / f"v{version}"
        try:
            meta = IndexMeta(**json.loads(Path(f"{stem}.json").read_text(encoding="utf-8")))
            index = faiss.read_index(f"{stem}.faiss")
            answers_file = Path(f"{stem}{ANSWERS}")
            answer_vectors = np.load(answers_file) if answers_file.exists() else None
        except (OSError, ValueError, RuntimeError) as exc:
            raise IndexMissingError(f"index version {version} in {folder} is missing or damaged ({exc})") from exc
        if answer_vectors is not None and len(answer_vectors) != len(meta.answer_entries):
            raise IndexMissingError(f"index version {version} in {folder} is damaged (answer rows do not match)")
        return cls(index, meta, answer_vectors)


def current_version(folder: Path) -> int | None:
    """The version CURRENT points at, or None."""
    try:
        return int((folder / CURRENT).read_text().strip())
    except (OSError, ValueError):
        return None
