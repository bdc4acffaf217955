"""CLINC150 as a knowledge base: in-scope accuracy and out-of-scope recall.

The 150 intents become 150 entries whose variants are the train utterances (10 per intent are held back). val
utterances are the questions, oos_val the questions it cannot answer. A question counts as in-scope-correct when
the decision is not `unresolved` and the best entry is its intent; out-of-scope recall is the share of oos_val
left unresolved. The unresolved threshold is chosen on the held-back train utterances plus oos_train, never on val.
With --tune the embedder is first fine-tuned on this KB, as `make kb` does for the shop's KB.

Usage: .venv/bin/python -m bench.kb_clinc [--tune] [--steps 400]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import table, write_result  # noqa: E402
from kefu.config import Settings  # noqa: E402
from knowledge_base import service  # noqa: E402
from knowledge_base.answering import UNRESOLVED, Thresholds, decide  # noqa: E402
from knowledge_base.io import EntryData  # noqa: E402
from knowledge_base.tuning import tune  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "clinc150.train_val.json"


def evaluate(rows: list[dict[str, Any]], threshold: float | None, settings: Settings) -> dict[str, float]:
    """In-scope accuracy and oos recall; threshold None means the configured decision thresholds."""
    t = Thresholds.from_settings(settings)
    def unresolved(r: dict[str, Any]) -> bool:
        if threshold is None:
            return decide(r["scores"], t)[0] == UNRESOLVED
        return r["scores"][0] < threshold
    ins = [r for r in rows if r["intent"] != "oos"]
    oos = [r for r in rows if r["intent"] == "oos"]
    return {
        "in_scope_accuracy": round(sum(not unresolved(r) and r["top"] == r["intent"] for r in ins) / len(ins), 4),
        "oos_recall": round(sum(unresolved(r) for r in oos) / len(oos), 4),
        "top1_ignoring_threshold": round(sum(r["top"] == r["intent"] for r in ins) / len(ins), 4),
    }


def choose_threshold(rows: list[dict[str, Any]]) -> float:
    """The top-score cut-off maximising in-scope accuracy + out-of-scope recall on the tuning rows."""
    best = (-1.0, 0.0)
    for cut in sorted({round(r["scores"][0], 3) for r in rows}):
        ins = [r for r in rows if r["intent"] != "oos"]
        oos = [r for r in rows if r["intent"] == "oos"]
        acc = sum(r["scores"][0] >= cut and r["top"] == r["intent"] for r in ins) / len(ins)
        rec = sum(r["scores"][0] < cut for r in oos) / len(oos)
        if acc + rec > best[0]:
            best = (acc + rec, cut)
    return best[1]


def ask(settings: Settings, items: list[tuple[str, str]]) -> list[dict[str, Any]]:
    results = service.knowledge_base(settings).ask_many([text for text, _ in items], "en")
    return [{"intent": intent, "top": r.candidates[0].faq_id, "scores": [c.score for c in r.candidates]}
            for (_, intent), r in zip(items, results, strict=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    data = json.loads(DATA.read_text())
    random.seed(0)
    by_intent: dict[str, list[str]] = {}
    for text, intent in data["train"]:
        by_intent.setdefault(intent, []).append(text)
    held: list[tuple[str, str]] = []
    entries = []
    for intent, texts in sorted(by_intent.items()):
        random.shuffle(texts)
        held += [(t, intent) for t in texts[:10]]
        entries.append(EntryData(intent, "clinc", answers={"en": intent}, variants={"en": texts[10:]}))

    workdir = Path(tempfile.mkdtemp(prefix="kefu-clinc-"))
    # CLINC has no answers: each entry carries its intent name as a stand-in, which must not be matched as one.
    settings = Settings(data_dir=workdir, kb_database_url=f"sqlite:///{workdir}/kb.db", kb_index_dir=workdir / "index",
                        kb_answer_weight=0.0)
    service.store(settings).import_entries(entries, author="bench")
    report: dict[str, Any] = {"entries": len(entries), "variants": sum(len(e.variants["en"]) for e in entries)}
    if args.tune:
        model_dir = workdir / "tuned"
        # From the converted base model, not the shop-tuned one: this KB gets its own tuning, as a new shop would.
        base = settings.path(settings.kb_base_model)
        report["tuning"] = tune(service.store(settings), base, model_dir, workdir / "delta", steps=args.steps)
        report["tuning"].pop("questions", None)
        settings = settings.model_copy(update={"kb_embedding_model": str(model_dir)})
    report["model"] = settings.kb_model_path
    service.publish(settings, progress=True)

    tuning_rows = ask(settings, held + [(t, "oos") for t, _ in data["oos_train"]])
    test_rows = ask(settings, [(t, i) for t, i in data["val"]] + [(t, "oos") for t, _ in data["oos_val"]])
    cut = choose_threshold(tuning_rows)
    report["threshold"] = cut
    report["val_at_chosen_threshold"] = evaluate(test_rows, cut, settings)
    report["val_at_configured_thresholds"] = evaluate(test_rows, None, settings)
    path = write_result("kb_clinc" + ("_tuned" if args.tune else ""), report)
    chosen, configured = report["val_at_chosen_threshold"], report["val_at_configured_thresholds"]
    print(f"CLINC150 val as a KB ({report['entries']} entries, {report['variants']} variants, model {report['model']})")
    print(table([
        (f"threshold {cut} (chosen on held-back train + oos_train)",
         f"in-scope {chosen['in_scope_accuracy']:.1%}  oos recall {chosen['oos_recall']:.1%}  "
         f"(top-1 ignoring threshold {chosen['top1_ignoring_threshold']:.1%})"),
        ("configured decision thresholds",
         f"in-scope {configured['in_scope_accuracy']:.1%}  oos recall {configured['oos_recall']:.1%}"),
    ]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
