"""python -m sentiment: train the classifier, rebuild it from base + delta, predict, evaluate."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kefu.cli import emit
from kefu.config import ROOT, get_settings
from sentiment.frustration import FrustrationConfig, single_message_frustration


def frustration_config() -> FrustrationConfig:
    """The escalation policy's weights from config.yml (the same numbers the Rasa policy uses)."""
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8")) or {}
    for policy in config.get("policies") or []:
        if str(policy.get("name", "")).endswith("EscalationPolicy"):
            return FrustrationConfig.from_mapping(policy)
    return FrustrationConfig()


def cmd_train(args: argparse.Namespace) -> int:
    """Fine-tune on the shared data sets (resumes an interrupted run), then rebuild the ONNX model."""
    from sentiment.data import build_splits
    from sentiment.train import TrainConfig, train

    settings = get_settings()
    cfg = TrainConfig(epochs=args.epochs, top_layers=args.top_layers, data_scale=args.scale)
    splits = build_splits(settings.path(settings.shared_data_dir), scale=args.scale)
    meta = train(splits, settings.path(settings.kb_base_model), settings.path(settings.sentiment_delta_dir),
                 settings.path(settings.sentiment_work_dir), cfg)
    emit(meta, args.json, f"trained on {meta['train_examples']} texts in {meta['train_seconds']} s: dev accuracy "
           f"{meta['dev_accuracy']:.1%}, temperature {meta['temperature']}; delta in {settings.sentiment_delta_dir}")
    if not args.no_build:
        return cmd_build(argparse.Namespace(json=args.json, force=True, check_int8=True))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Rebuild models/sentiment from the base model and sentiment/delta (skipped when already current)."""
    from sentiment.build import build, is_fresh, recorded_check
    from sentiment.data import build_splits

    settings = get_settings()
    out, delta = settings.path(settings.sentiment_model_dir), settings.path(settings.sentiment_delta_dir)
    if not args.force and is_fresh(out, delta):
        emit({"model": str(out), "rebuilt": False}, args.json, f"sentiment model in {out} is current")
        return 0
    check: list[str] | None = None
    if args.check_int8 or recorded_check(delta) is None:
        check = [ex.text for ex in build_splits(settings.path(settings.shared_data_dir), scale=0.25).dev]
    meta = build(settings.path(settings.kb_base_model), delta, out, check)
    how = f"checked on {len(check)} held-out texts" if check is not None else "as checked for this delta"
    emit({**meta, "model": str(out), "rebuilt": True, "int8_checked": check is not None}, args.json,
         f"sentiment model built in {out}: {meta['onnx_file']} (int8 agrees with fp32 on "
         f"{meta['int8_agreement']:.1%}, {how})")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Label texts: one from the command line, or one per stdin line with --jsonl."""
    from sentiment.inference import load_model

    settings = get_settings()
    model = load_model(settings.path(settings.sentiment_model_dir))
    cfg = frustration_config()

    def row(text: str) -> dict[str, Any]:
        pred = model.predict_one(text)
        return {"text": text, "label": pred.label, "score": round(pred.score, 4), "probs": pred.probs,
                "frustration": single_message_frustration(pred.probs, text, cfg, pred.frustrated)}

    if args.jsonl:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if text.strip():
                print(json.dumps(row(text), ensure_ascii=False), flush=True)
        return 0
    if not args.text:
        raise SystemExit("predict: give TEXT, or --jsonl to read texts from stdin")
    data = row(args.text)
    probs = ", ".join(f"{k} {v:.2f}" for k, v in data["probs"].items())
    emit(data, args.json, f"{data['label']} ({data['score']:.2f}; {probs}); frustration {data['frustration']:.2f}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Accuracy and macro-F1 on the held-out review sets; accuracy and frustrated-vs-rest F1 on the CS set."""
    from sentiment.evaluation import evaluate, format_report
    from sentiment.inference import load_model

    settings = get_settings()
    model = load_model(settings.path(settings.sentiment_model_dir))
    report = evaluate(model, frustration_config(), settings.path(settings.shared_data_dir), limit=args.limit)
    emit(report, args.json, format_report(report))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m sentiment", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="fine-tune the classifier (progress bar; resumes), then rebuild the model")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--top-layers", type=int, default=8, help="encoder layers fine-tuned with LoRA")
    p.add_argument("--scale", type=float, default=1.0, help="share of the sampled training data (quick runs)")
    p.add_argument("--no-build", action="store_true", help="only write the delta")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("build", help="rebuild models/sentiment from the base model plus sentiment/delta")
    p.add_argument("--force", action="store_true")
    p.add_argument("--check-int8", action="store_true",
                   help="score held-out texts with int8 and fp32 again instead of reusing the delta's check")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("predict", help="label a text (or --jsonl: one text per stdin line)")
    p.add_argument("text", nargs="?")
    p.add_argument("--jsonl", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("evaluate", help="figures on the held-out sets and the customer-service set")
    p.add_argument("--limit", type=int, default=0, help="at most this many texts per set (0: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
