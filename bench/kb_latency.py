"""Search latency per query, embedding included, at 1k, 100k and 1M vectors; index build time and memory; and
a whole `KnowledgeBase.ask()` on the demo KB (embedding, search, answer match, language gap, word-overlap
re-rank and decision), whose scoring after the search depends on the rows fetched, not on the index size.

Large indexes are made of the demo KB's real question vectors plus noise (so they have the cluster structure of
real questions), built with the same code as production: IndexFlatIP below KEFU_KB_HNSW_MIN_VECTORS, HNSW above.
Each query is embedded and searched one at a time, as the action server does.

Usage: .venv/bin/python -m bench.kb_latency [--sizes 1000 100000 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import summarise_ms, table, write_result  # noqa: E402
from kefu.config import Settings, get_settings  # noqa: E402
from knowledge_base import io, service  # noqa: E402
from knowledge_base.answering import ROWS_PER_ENTRY  # noqa: E402
from knowledge_base.index import make_faiss_index  # noqa: E402
from knowledge_base.publish import VARIANT_PROMPT  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def synthetic(base: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n unit vectors: real question vectors plus noise, built in chunks to bound memory."""
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        chunk = base[rng.integers(0, len(base), stop - start)] + rng.normal(0, 0.04, (stop - start, base.shape[1]))
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    settings = get_settings()
    embedder = service.query_embedder(settings)
    entries = [e for p in sorted(glob.glob(str(ROOT / "knowledge_base/demo/*.jsonl"))) for e in io.read_file(Path(p))]
    variants = [(e.id, lang, q) for e in entries for lang, qs in e.variants.items() for q in qs]
    questions = [q for _, _, q in variants]
    base = embedder.encode(questions, kind=VARIANT_PROMPT, batch_size=64)
    dev = [json.loads(line)["query"] for p in sorted(glob.glob(str(ROOT / "bench/data/kb_dev_*.jsonl")))
           for line in Path(p).read_text(encoding="utf-8").splitlines() if line.strip()][: args.queries]
    embedder.encode(dev[:5])  # warm-up
    embed_only = []
    for q in dev:
        started = time.perf_counter()
        embedder.encode([q])
        embed_only.append(time.perf_counter() - started)

    # A whole ask() on a real index of the demo KB, built through the production import and publish code.
    workdir = Path(tempfile.mkdtemp(prefix="kefu-kb-latency-"))
    demo = Settings(data_dir=workdir, kb_database_url=f"sqlite:///{workdir}/kb.db", kb_index_dir=workdir / "index")
    service.store(demo).import_entries(entries, author="bench")
    service.publish(demo)
    kb = service.knowledge_base(demo)
    kb.ask(dev[0])  # warm-up: loads the index, the answer vectors and the word-overlap index
    ask = []
    for q in dev:
        started = time.perf_counter()
        kb.ask(q)
        ask.append(time.perf_counter() - started)
    rng = np.random.default_rng(0)
    results: dict[str, object] = {"model": embedder.model_name, "embedding_only": summarise_ms(embed_only),
                                  "ask_demo_kb": summarise_ms(ask), "demo_variants": len(variants),
                                  "hnsw_min_vectors": settings.kb_hnsw_min_vectors, "sizes": {}}
    rows = [("embedding only", f"p50 {results['embedding_only']['p50_ms']} ms  "  # type: ignore[index]
                               f"p95 {results['embedding_only']['p95_ms']} ms"),
            (f"ask() on the demo KB ({len(variants):,} variants), all steps",
             f"p50 {results['ask_demo_kb']['p50_ms']} ms  p95 {results['ask_demo_kb']['p95_ms']} ms")]  # type: ignore[index]
    for n in args.sizes:
        vectors = synthetic(base, n, rng)
        before = rss_mb()
        started = time.perf_counter()
        index, kind = make_faiss_index(vectors, settings.kb_hnsw_min_vectors)
        build_s = time.perf_counter() - started
        index_mb = rss_mb() - before
        samples, search_only, found = [], [], []
        for q in dev:
            started = time.perf_counter()
            vector = embedder.encode([q])
            middle = time.perf_counter()
            _, ids = index.search(vector, settings.kb_top_k * ROWS_PER_ENTRY)
            done = time.perf_counter()
            samples.append(done - started)
            search_only.append(done - middle)
            found.append(ids[0][0])
        # How often the (approximate) index returns the exact nearest vector.
        exact = np.argmax(embedder.encode(dev) @ vectors.T, axis=1)
        del vectors
        stats = {"kind": kind, "build_s": round(build_s, 2), "index_memory_mb": round(index_mb, 1),
                 "top1_recall_vs_exact": round(float(np.mean(np.array(found) == exact)), 4),
                 "search_with_embedding": summarise_ms(samples), "search_only": summarise_ms(search_only)}
        results["sizes"][str(n)] = stats  # type: ignore[index]
        s, o = stats["search_with_embedding"], stats["search_only"]
        rows.append((f"{n:>9,} vectors ({kind})",
                     f"p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms  (search alone p95 {o['p95_ms']} ms)  "  # type: ignore[index]
                     f"build {stats['build_s']} s  memory {stats['index_memory_mb']} MB  "
                     f"top-1 = exact {stats['top1_recall_vs_exact']:.1%}"))
        del index
    path = write_result("kb_latency", results)
    print("Knowledge-base search latency per query (embedding included), 1 query at a time")
    print(table(rows))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
