"""Adapt the embedding model to the knowledge base: contrastive fine-tuning on the KB's own question variants.

Raw multilingual-e5-small ranks a question's nearest *wording* first, and its cosine scores sit in a narrow band
(0.8–0.95) for related and unrelated questions alike; it also prefers any same-language question over the right
entry in the other language. Training pulls the variants of one entry together (across zh and en) and pushes other
entries apart (in-batch negatives, symmetric InfoNCE), which fixes both. The dev set in bench/data is never used.
New entries added later are embedded by the tuned model as they are; re-run `tune` when the KB has grown a lot
(`drift`: a kb_retune_share of the published questions new since tuning).

The full fine-tune is then kept as a small delta on the base (knowledge_base/delta.py), and the model that serves is
the one rebuilt from that delta, so a shipped delta and a fresh tune serve the same vectors.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path
from typing import Any

from kefu.config import Settings
from knowledge_base.embedder import model_prompts
from knowledge_base.errors import EmptyKnowledgeBaseError, ModelSetupError
from knowledge_base.store import KnowledgeStore

STAMP = "kefu_tuning.json"


def tune(store: KnowledgeStore, base: Path, out: Path, delta: Path, steps: int = 400, batch_size: int = 32,
         learning_rate: float = 3e-5, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Fine-tune base on the published entries, write the delta, rebuild out from base + delta; return the report."""
    import shutil

    from knowledge_base import delta as deltas

    full = out.with_name(out.name + ".full")
    report = fine_tune(store, str(base), full, steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                       seed=seed, progress=progress)
    report["questions"] = " ".join(sorted({deltas.question_key(lang, q) for _, lang, q in store.published_variants()}))
    meta = deltas.extract(base, full, delta, report=report)
    deltas.apply(base, delta, out)
    texts = [q for _, _, q in store.published_variants()]
    check = deltas.fidelity(full, out, texts)
    meta["fidelity"] = check
    deltas.write_meta(delta, meta)
    shutil.rmtree(full, ignore_errors=True)
    if check["min_cosine"] < deltas.MIN_COSINE:
        raise ModelSetupError(f"the delta reproduces the tuned vectors only to cosine {check['min_cosine']} "
                              f"(< {deltas.MIN_COSINE}); the rebuilt model in {out} serves, but report this")
    return {**report, "delta": str(delta), "delta_bytes": meta["bytes"], "fidelity": check}


def active_delta(settings: Settings) -> Path | None:
    """The delta the tuned model is built from: the shop's own (from `tune`) if complete, else the shipped one."""
    from knowledge_base.delta import read_meta

    for folder in (settings.kb_tune_delta_path, settings.path(settings.kb_shipped_delta)):
        if read_meta(folder) is not None:
            return folder
    return None


def fine_tune(store: KnowledgeStore, base_model: str, out: Path, steps: int = 400, batch_size: int = 32,
              learning_rate: float = 3e-5, seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Fine-tune base_model on the published entries and save it (with a stamp) to out; return the report."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tqdm import tqdm

    entries = store.entries(status="published")
    groups = {e.id: [q for questions in e.variants.values() for q in questions] for e in entries}
    groups = {k: v for k, v in groups.items() if len(v) >= 2}
    if len(groups) < 4:
        raise EmptyKnowledgeBaseError("tuning needs at least 4 published entries with 2 or more question variants")
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model = SentenceTransformer(base_model, device="cpu")
    prompts = model_prompts(model, base_model)
    # The tuned folder's name no longer says e5: declare the prefixes it was tuned with, so searches use them too.
    model.prompts = {**(model.prompts or {}), **prompts}
    prefix = prompts["query"]
    transformer = model[0].auto_model
    # The word-embedding table is 80% of the weights: freezing it keeps training fast and the vocabulary intact.
    for parameter in transformer.embeddings.parameters():
        parameter.requires_grad = False
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=learning_rate)
    batch = min(batch_size, len(groups))
    ids = sorted(groups)
    categories: dict[str, list[str]] = {}
    for entry in entries:
        if entry.id in groups:
            categories.setdefault(entry.category, []).append(entry.id)
    losses: list[float] = []
    started = time.monotonic()
    model.train()
    bar = tqdm(range(steps), desc="tuning embedder", unit="step", disable=not progress)
    for step in bar:
        # Every other batch draws from a few categories only: its negatives are the look-alike entries
        # (cancel before vs after shipping) that random batches rarely put side by side.
        pool = [i for c in rng.sample(sorted(categories), min(3, len(categories))) for i in categories[c]]
        chosen = rng.sample(pool, min(batch, len(pool))) if step % 2 and len(pool) >= 4 else rng.sample(ids, batch)
        pairs = [rng.sample(groups[i], 2) for i in chosen]
        anchors = model.tokenize([prefix + a for a, _ in pairs])
        positives = model.tokenize([prefix + p for _, p in pairs])
        a = torch.nn.functional.normalize(model(anchors)["sentence_embedding"], dim=-1)
        p = torch.nn.functional.normalize(model(positives)["sentence_embedding"], dim=-1)
        logits = a @ p.T * 20.0
        labels = torch.arange(len(chosen))
        cross_entropy = torch.nn.functional.cross_entropy
        loss = (cross_entropy(logits, labels) + cross_entropy(logits.T, labels)) / 2
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        losses.append(float(loss.item()))
        bar.set_postfix(loss=f"{sum(losses[-20:]) / len(losses[-20:]):.3f}")
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    report = {
        "base_model": Path(base_model).name,
        "entries": len(groups),
        "variants": sum(len(v) for v in groups.values()),
        "steps": steps,
        "batch_size": batch,
        "learning_rate": learning_rate,
        "seconds": round(time.monotonic() - started, 1),
        "loss_first_20": round(sum(losses[:20]) / len(losses[:20]), 4),
        "loss_last_20": round(sum(losses[-20:]) / len(losses[-20:]), 4),
        "kb_fingerprint": kb_fingerprint(store),
        "prompts": prompts,
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    (out / STAMP).write_text(json.dumps(report, indent=2))
    return report


def kb_fingerprint(store: KnowledgeStore) -> str:
    """A hash of the published questions, to tell whether a tuned model matches the KB it was tuned on."""
    digest = hashlib.sha256()
    for entry_id, lang, question in sorted(store.published_variants()):
        digest.update(f"{entry_id}\x00{lang}\x00{question}\n".encode())
    return digest.hexdigest()[:16]


def tuned_report(folder: Path) -> dict[str, Any] | None:
    """The stamp of a tuned model folder, or None if it is not one."""
    try:
        return dict(json.loads((folder / STAMP).read_text()))
    except (OSError, ValueError):
        return None
