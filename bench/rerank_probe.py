"""Would a cross-encoder re-ranker help the knowledge base decide? Train one on the KB and measure it (issue 34).

A cross-encoder reads the question and a candidate (its best-matching variant and its answer) together and scores
whether the candidate answers it. This probe cuts one from the KB-tuned encoder (its first `--layers` layers, a
mean-pooled linear head), trains it on the demo KB's own variants, each against its entry (another variant of it)
and against the 4 entries whose variants are nearest to it (the search's look-alikes), with a pairwise and a
listwise loss, and then scores the search's top 5 for every question of the six dev sets. It reports:

- the cross-encoder's own top-1 beside the search's;
- what the confidence model gains with the cross-encoder's score of the best entry and its lead as two more
  features: refitted and its cut-offs chosen on the fitting rows as `bench.kb_confidence` does, quoted on the
  held-out rows (routing_dev_b, routing_dev_c and the colloquial set).

It needs PyTorch (the app's venv) and takes long on CPU: on 2 cores, 3 layers and 1,670 steps took 30 min; 12
layers run about 2.9 s a step. `--steps 20` checks that it runs. Results go to bench/results/rerank_probe.json.

Usage: .venv/bin/python -m bench.rerank_probe [--layers 3] [--steps 1670] [--lr 1e-4] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import table, write_result
from bench.kb_confidence import choose, demo_entries, demo_settings, describe, features, load, logistic, outcomes
from kefu.config import Settings
from knowledge_base import service
from knowledge_base.answering import Candidate, Thresholds, pick_answer
from knowledge_base.publish import VARIANT_PROMPT

ROOT = Path(__file__).resolve().parent.parent
SETS = ["kb_dev_a", "kb_dev_b", "routing_dev_a", "routing_dev_b", "routing_dev_c", "colloquial_dev"]
FIT = {"kb_dev_a", "kb_dev_b", "routing_dev_a"}  # what bench.kb_confidence fits on
HELD_OUT = {"routing_dev_b", "routing_dev_c", "colloquial_dev"}
NEGATIVES = 4
GROUPS_PER_STEP = 8
MAX_TOKENS = 96


@dataclasses.dataclass
class Variant:
    """One question variant of the demo KB."""

    entry: str
    lang: str
    text: str


def demo_kb() -> tuple[Settings, list[Variant], dict[str, dict[str, str]]]:
    """The demo KB published into a temporary folder: its settings, its variants and each entry's answers."""
    settings = demo_settings("kefu-rerank-probe-")
    entries = demo_entries()
    variants = [Variant(e.id, lang, q) for e in entries for lang, qs in e.variants.items() for q in qs]
    answers = {e.id: {k: v for k, v in e.answers.items() if v} for e in entries}
    return settings, variants, answers


def training_groups(settings: Settings, variants: list[Variant], answers: dict[str, dict[str, str]],
                    rng: random.Random) -> list[tuple[str, list[str]]]:
    """(question, [its entry, then 4 look-alike entries]) for every variant; a candidate is "variant\\nanswer"."""
    from tqdm import tqdm

    embedder = service.query_embedder(settings)
    vectors = np.concatenate([embedder.encode([v.text for v in variants[i:i + 256]], kind=VARIANT_PROMPT)
                              for i in tqdm(range(0, len(variants), 256), desc="embed variants")])
    entries = np.array([v.entry for v in variants])
    own_rows: dict[str, list[int]] = defaultdict(list)
    for i, v in enumerate(variants):
        own_rows[v.entry].append(i)

    def candidate(row: int, lang: str) -> str:
        return f"{variants[row].text}\n{pick_answer(answers[variants[row].entry], lang)[0]}"

    groups = []
    for i, v in enumerate(variants):
        sims = vectors @ vectors[i]
        sims[i] = -9.0  # the question itself is never its own candidate: a verbatim match teaches nothing
        own = [j for j in own_rows[v.entry] if j != i]
        if not own:
            continue
        # Mostly the nearest other variant of the entry (what the search would show), sometimes any.
        positive = own[int(np.argmax(sims[own]))] if rng.random() < 0.6 else rng.choice(own)
        negatives: list[int] = []
        seen = {v.entry}
        for j in np.argsort(-sims)[:200]:
            if entries[j] not in seen:
                seen.add(str(entries[j]))
                negatives.append(int(j))
            if len(negatives) == NEGATIVES:
                break
        groups.append((v.text, [candidate(positive, v.lang)] + [candidate(j, v.lang) for j in negatives]))
    return groups


def cross_encoder(model_dir: Path, layers: int) -> Any:
    """The encoder cut to its first `layers` layers, with a linear head on its mean-pooled output."""
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_dir))
            self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
            self.encoder.config.num_hidden_layers = layers
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).squeeze(-1)

    return CrossEncoder()


def train(model: Any, tokenizer: Any, groups: list[tuple[str, list[str]]], steps: int, lr: float,
          rng: random.Random) -> dict[str, Any]:
    """Train on groups (binary cross-entropy per pair plus softmax over each group); the loss report."""
    import torch
    from tqdm import tqdm

    for parameter in model.encoder.embeddings.parameters():
        parameter.requires_grad = False  # the 250k-token table stays the base's (as the embedder delta keeps it)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    # 50 steps of warm-up, then down to nothing at the last step.
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser,
                                                 lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / steps))
    order: list[int] = []
    while len(order) < steps * GROUPS_PER_STEP:
        block = list(range(len(groups)))
        rng.shuffle(block)
        order += block
    size = 1 + NEGATIVES
    losses: list[float] = []
    model.train()
    started = time.monotonic()
    bar = tqdm(range(steps), desc="train")
    for step in bar:
        batch = [groups[k] for k in order[step * GROUPS_PER_STEP:(step + 1) * GROUPS_PER_STEP]]
        questions = [f"query: {q}" for q, cands in batch for _ in cands]
        candidates = [c for _, cands in batch for c in cands]
        encoded = tokenizer(questions, candidates, truncation="only_second", max_length=MAX_TOKENS, padding=True,
                            return_tensors="pt")
        logits = model(encoded["input_ids"], encoded["attention_mask"]).view(len(batch), size)
        target = torch.zeros_like(logits)
        target[:, 0] = 1.0
        loss = (torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
                + torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long)))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        losses.append(loss.item())
        if step % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    chance = float(np.log(size) + (-(1 / size) * np.log(1 / size) - (1 - 1 / size) * np.log(1 - 1 / size)))
    return {"steps": steps, "seconds": round(time.monotonic() - started, 1), "loss_first_20": round(float(np.mean(
        losses[:20])), 3), "loss_last_20": round(float(np.mean(losses[-20:])), 3), "loss_at_chance": round(chance, 3)}


def dev_rows(settings: Settings) -> list[dict[str, Any]]:
    """Every dev question the KB should answer or leave unresolved, with the search's top 5 and their features."""
    kb = service.knowledge_base(settings)
    rows = []
    for name in SETS:
        for r in load([f"bench/data/{name}.jsonl"]):
            result = kb.ask(r["query"], r.get("lang"))  # in the customer's language, as the FAQ action asks
            rows.append({**r, "set": name, "also": r.get("also") or [], "candidates": result.candidates,
                         "features": features(result)})
    return rows


def score(model: Any, tokenizer: Any, rows: list[dict[str, Any]]) -> None:
    """The cross-encoder's logit for each row's candidates (as row["ce"], one per candidate)."""
    import torch

    model.eval()
    with torch.no_grad():
        for r in rows:
            texts = [f"{c.question}\n{c.answer}" for c in r["candidates"]]
            encoded = tokenizer([f"query: {r['query']}"] * len(texts), texts, truncation="only_second",
                                max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            r["ce"] = model(encoded["input_ids"], encoded["attention_mask"]).tolist()


def decide_with(rows: list[dict[str, Any]], with_ce: bool, base: Thresholds) -> dict[str, Any]:
    """Fit the confidence model (with or without the cross-encoder's two features) and report the outcomes."""
    for r in rows:
        cands: list[Candidate] = r["candidates"]
        r["x"] = r["features"] + ([r["ce"][0], r["ce"][0] - (r["ce"][1] if len(cands) > 1 else -10.0)]
                                  if with_ce else [])
        r["ids"], r["scores"] = [c.faq_id for c in cands], [c.score for c in cands]
    fit_rows = [r for r in rows if r["set"] in FIT]
    right = np.array([bool(r["expected"]) and r["ids"][0] in {r["expected"], *r["also"]} for r in fit_rows])
    bias, weights = logistic(np.array([r["x"] for r in fit_rows]), right)
    for r in rows:
        r["confidence"] = float(1.0 / (1.0 + np.exp(-(bias + np.dot(weights, r["x"])))))
    chosen = choose(fit_rows, base, 0.985, 0.94)
    return {"answer_confidence": chosen.answer_confidence, "clarify_confidence": chosen.clarify_confidence,
            "fit": outcomes(fit_rows, chosen), "held_out": outcomes([r for r in rows if r["set"] in HELD_OUT], chosen)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--steps", type=int, default=1670)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch
    from transformers import AutoTokenizer

    torch.manual_seed(args.seed)
    torch.set_num_threads(min(4, os.cpu_count() or 1))
    rng = random.Random(args.seed)
    settings, variants, answers = demo_kb()
    model_dir = Path(settings.kb_model_path)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    groups = training_groups(settings, variants, answers, rng)
    model = cross_encoder(model_dir, args.layers)
    report: dict[str, Any] = {"layers": args.layers, "groups": len(groups), "lr": args.lr,
                              "training": train(model, tokenizer, groups, args.steps, args.lr, rng)}
    rows = dev_rows(settings)
    score(model, tokenizer, rows)
    top1: dict[str, dict[str, float]] = {}
    for name in SETS:
        answerable = [r for r in rows if r["set"] == name and r["expected"]]
        ok = [{r["expected"], *r["also"]} for r in answerable]
        top1[name] = {
            "search": round(sum(r["candidates"][0].faq_id in k for r, k in zip(answerable, ok, strict=True))
                            / len(answerable), 3),
            "cross_encoder": round(sum(r["candidates"][int(np.argmax(r["ce"]))].faq_id in k
                                       for r, k in zip(answerable, ok, strict=True)) / len(answerable), 3)}
    report["top1"] = top1
    base = Thresholds.from_settings(Settings())
    report["confidence_model"] = decide_with(rows, False, base)
    report["with_cross_encoder"] = decide_with(rows, True, base)
    path = write_result("rerank_probe", report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0

    t = report["training"]
    print(f"{args.layers}-layer cross-encoder, {t['steps']} steps in {t['seconds']:.0f} s, loss {t['loss_first_20']} "
          f"-> {t['loss_last_20']} (chance {t['loss_at_chance']})")
    print(table([(name, f"top-1 search {v['search']:.1%}  cross-encoder {v['cross_encoder']:.1%}")
                 for name, v in top1.items()]))
    print("held out (routing_dev_b, routing_dev_c, colloquial):")
    print(table([("confidence model", describe(report["confidence_model"]["held_out"])),
                 ("+ cross-encoder features", describe(report["with_cross_encoder"]["held_out"]))]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
