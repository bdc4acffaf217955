"""What customers get through the bot: each dev question sent to the real REST channel in a fresh conversation.

The knowledge base's own figures (bench/kb_eval.py) assume a question reaches it. This sends every row of
bench/data/routing_dev_*.jsonl through Rasa (NLU, routing, policies, the action server) on a copy of the live KB
and classifies the reply: a KB answer (which entry), a clarification (which buttons), the honest "I don't know yet"
(and whether the review queue got a row), the order form, the complaint reply, the out-of-scope reply, a request
to rephrase, or a hand-over.

Rows: {"query", "lang", "expected", "also", "kind"}; expected is an entry id, null (no entry answers it),
"out_of_scope" (off-topic) or "order_form" (the customer wants their own order's status).

Usage: .venv/bin/python -m bench.routing_e2e [--split a|b|c|all|colloquial] [--show 20] [--json]

--split colloquial sends bench/data/colloquial_dev.jsonl instead: short questions wrapped in fillers and greetings,
telegraphic, with typos or with a closing courtesy. KEFU_RASA_MODEL=path runs another trained model.
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sqlite3
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.common import kefu_on_a_kb_copy, summarise_ms, table, write_result
from kefu.config import ROOT
from knowledge_base.index import FaqIndex

DEV = "bench/data/routing_dev_{split}.jsonl"
# Short, colloquial questions (fillers, greetings, typos, courtesies; issue 34), kept apart from the three splits
# whose figures the earlier issues report.
COLLOQUIAL = "bench/data/colloquial_dev.jsonl"
KB_OUTCOMES = {"answer", "clarify", "unresolved"}
# Domain responses whose text tells the outcome (the order form's replies all count as "order").
OUTCOME_OF_RESPONSE = {
    "utter_faq_unknown": "unresolved",
    "utter_faq_unknown_related": "unresolved",
    "utter_faq_unavailable": "kb_down",
    "utter_faq_choice_gone": "choice_gone",
    "utter_ask_order_number": "order",
    "utter_invalid_order_number": "order",
    "utter_order_not_found": "order",
    "utter_order_service_down": "order",
    "utter_complain_ack": "complaint",
    "utter_out_of_scope": "out_of_scope",
    "utter_ask_rephrase": "rephrase",
    "utter_default": "rephrase",
    "utter_offer_human": "rephrase",
    "utter_queue_position": "handoff",
    "utter_no_agent_offer_ticket": "handoff",
    "utter_closed_offer_ticket": "handoff",
    "utter_human_unavailable": "handoff",
    "utter_handoff_apology": "handoff",
}
ORDER_PREFIX = "utter_order_status_"
KNOWN_OUTCOMES = {*OUTCOME_OF_RESPONSE.values(), "order"}


def load_rows(split: str) -> list[dict[str, Any]]:
    """The dev rows of one split (a, b, c), of all three, or the colloquial set."""
    pattern = COLLOQUIAL if split == "colloquial" else DEV.format(split="*" if split == "all" else split)
    rows = []
    for path in sorted(glob.glob(str(ROOT / pattern))):
        rows += [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise SystemExit(f"no rows in {pattern}")
    return rows


def response_patterns() -> list[tuple[re.Pattern[str], str]]:
    """A regex per domain response text ({slots} match anything), longest first, with the outcome it means."""
    patterns = []
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        for name, variations in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).items():
            outcome = "order" if name.startswith(ORDER_PREFIX) else OUTCOME_OF_RESPONSE.get(name, name)
            for variation in variations:
                text = str(variation.get("text", ""))
                if not text or text == "{answer}":
                    continue
                parts = re.split(r"\{[a-z_]+\}", text)
                patterns.append((re.compile(".+?".join(re.escape(p) for p in parts) + "$", re.S), outcome))
    return sorted(patterns, key=lambda p: -len(p[0].pattern))


def classify(replies: list[dict[str, Any]], answers: dict[str, str],
             patterns: list[tuple[re.Pattern[str], str]]) -> dict[str, Any]:
    """The outcome of one question's replies: {"outcome", "faq_id"?, "choices"?, "acknowledged", "texts"}."""
    out: dict[str, Any] = {"outcome": "silence", "acknowledged": False, "texts": [r.get("text", "") for r in replies]}
    for reply in replies:
        text = (reply.get("text") or "").strip()
        payloads = [b.get("payload", "") for b in reply.get("buttons") or []]
        if text in answers:
            return {**out, "outcome": "answer", "faq_id": answers[text]}
        choices = [json.loads(p.removeprefix("/choose_faq"))["faq_id"] for p in payloads if p.startswith("/choose_faq")]
        outcome = next((o for rx, o in patterns if rx.match(text)), None)
        if choices:
            # Buttons come with a clarification, or as related questions beside an honest "I don't know yet".
            return {**out, "outcome": "unresolved" if outcome == "unresolved" else "clarify", "choices": choices}
        if outcome == "utter_acknowledge_feeling":
            out["acknowledged"] = True
            continue
        if outcome in KNOWN_OUTCOMES:
            # A hand-over reply may come after an apology: the first outcome decides.
            return {**out, "outcome": outcome}
        if outcome is not None:
            out["outcome"] = outcome
        elif text:
            out["outcome"] = "other"
    return out


def routing_of(tracker_db: Path, sender: str) -> dict[str, Any]:
    """What NLU made of the customer's message: the intent it was handled as, and KB-aware routing's record."""
    with sqlite3.connect(tracker_db) as conn:
        found = conn.execute("select data from events where sender_id = ? and type_name = 'user' order by id",
                             (sender,)).fetchall()
    if not found:
        return {}
    data = json.loads(found[-1][0]).get("parse_data") or {}
    return {"intent": (data.get("intent") or {}).get("name"), **(data.get("kb_route") or {})}


def review_kinds(db: Path, sender: str) -> list[str]:
    """The review-queue kinds recorded for one conversation."""
    with sqlite3.connect(db) as conn:
        return [k for (k,) in conn.execute("select kind from kb_review_items where conversation_id = ?", (sender,))]


def ask_all(url: str, rows: list[dict[str, Any]], answers: dict[str, str], db: Path, tracker_db: Path) -> None:
    """Send each row in its own conversation; store outcome, latency and review rows on the row."""
    patterns = response_patterns()
    with httpx.Client(timeout=60) as client:
        client.post(url, json={"sender": "warm-up", "message": "你好"})
        for i, row in enumerate(rows, 1):
            sender = f"dev-{uuid.uuid4().hex[:12]}"
            started = time.perf_counter()
            resp = client.post(url, json={"sender": sender, "message": row["query"]})
            row["latency_s"] = time.perf_counter() - started
            resp.raise_for_status()
            row.update(classify(resp.json(), answers, patterns))
            row["review"] = review_kinds(db, sender)
            row["route"] = routing_of(tracker_db, sender)
            if i % 50 == 0:
                print(f"  {i}/{len(rows)}", flush=True)


def rate(rows: list[dict[str, Any]], test: Any) -> float | None:
    """The share of rows passing test (None for no rows)."""
    return round(sum(bool(test(r)) for r in rows) / len(rows), 4) if rows else None


def ok_ids(row: dict[str, Any]) -> set[str]:
    """The entries that answer a row."""
    return {row["expected"], *(row.get("also") or [])}


def right_answer(row: dict[str, Any]) -> bool:
    """Answered with a right entry."""
    return row["outcome"] == "answer" and row.get("faq_id") in ok_ids(row)


def right_or_first_button(row: dict[str, Any]) -> bool:
    """Answered right, or a right entry is the first button (of a clarification or of the related questions)."""
    return right_answer(row) or (bool(row.get("choices")) and row["choices"][0] in ok_ids(row))


def metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures issue 17 asks for, overall and per kind."""
    answerable = [r for r in rows if r["expected"] not in (None, "out_of_scope", "order_form")]
    unanswerable = [r for r in rows if r["expected"] is None]
    off_topic = [r for r in rows if r["expected"] == "out_of_scope"]
    orders = [r for r in rows if r["expected"] == "order_form"]
    answered = [r for r in answerable + unanswerable if r["outcome"] == "answer"]
    faq_latency = [r["latency_s"] for r in answerable]
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in answerable:
        by_kind[r["kind"]].append(r)
        by_kind[f"lang_{r['lang']}"].append(r)
    return {
        "n": {"answerable": len(answerable), "unanswerable": len(unanswerable), "off_topic": len(off_topic),
              "order_status": len(orders)},
        "answered_right": rate(answerable, right_answer),
        "right_or_first_button": rate(answerable, right_or_first_button),
        "never_reached_kb": rate(answerable, lambda r: r["outcome"] not in KB_OUTCOMES),
        "confident_answers_right": rate(answered, lambda r: r["expected"] and r.get("faq_id") in ok_ids(r)),
        "unanswerable_unresolved_and_queued": rate(
            unanswerable, lambda r: r["outcome"] == "unresolved" and "unresolved" in r["review"]),
        "off_topic_declined": rate(off_topic, lambda r: r["outcome"] == "out_of_scope"),
        "off_topic_queued_as_off_topic": rate(off_topic, lambda r: "off_topic" in r["review"]),
        "order_status_to_form": rate(orders, lambda r: r["outcome"] == "order"),
        "outcomes": {
            group: dict(Counter(r["outcome"] for r in subset).most_common())
            for group, subset in (("answerable", answerable), ("unanswerable", unanswerable),
                                  ("off_topic", off_topic), ("order_status", orders))
        },
        "by_kind": {k: {"n": len(v), "answered_right": rate(v, right_answer),
                        "right_or_first_button": rate(v, right_or_first_button),
                        "never_reached_kb": rate(v, lambda r: r["outcome"] not in KB_OUTCOMES)}
                    for k, v in sorted(by_kind.items())},
        "faq_latency": summarise_ms(faq_latency) if faq_latency else None,
    }


def misses(rows: list[dict[str, Any]]) -> list[str]:
    """One line per row that did not get what it should."""
    lines = []
    for r in rows:
        expected = r["expected"]
        if expected == "order_form":
            good = r["outcome"] == "order"
        elif expected == "out_of_scope":
            good = r["outcome"] == "out_of_scope"
        elif expected is None:
            good = r["outcome"] == "unresolved"
        else:
            good = right_answer(r)
        if not good:
            got = r.get("faq_id") or ",".join(r.get("choices") or []) or ""
            route = r.get("route") or {}
            why = (f"  ({route.get('intent')} ← {route.get('routed_from') or '='}: {route.get('reason')})"
                   if route else "")
            lines.append(f"  ✗ [{r['kind']}] {r['query']!r}: want {expected}, got {r['outcome']} {got}{why}".rstrip())
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("a", "b", "c", "all", "colloquial"), default="all")
    parser.add_argument("--show", type=int, default=25, help="misses to print")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--name", default="routing_e2e", help="the results file's name")
    args = parser.parse_args()
    rows = load_rows(args.split)
    with kefu_on_a_kb_copy("kefu-routing-e2e-") as settings:
        index = FaqIndex.load(settings.kb_index_path)
        answers = {text: faq_id for faq_id, by_lang in index.meta.answers.items() for text in by_lang.values()}
        db = Path(settings.kb_url.removeprefix("sqlite:///"))
        print(f"sending {len(rows)} questions, one conversation each…", flush=True)
        tracker_db = Path(settings.tracker_url.removeprefix("sqlite:///"))
        ask_all(f"{settings.rasa_url}/webhooks/rest/webhook", rows, answers, db, tracker_db)
    result = metrics(rows)
    result["split"] = args.split
    path = write_result(args.name, {**result, "rows": rows})
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    n = result["n"]
    lat = result["faq_latency"] or {}
    print(f"Through the REST channel (split {args.split}: {n['answerable']} answerable, {n['unanswerable']} no entry, "
          f"{n['off_topic']} off-topic, {n['order_status']} order status)")
    def pct(key: str) -> str:
        return "–" if result[key] is None else f"{result[key]:.1%}"  # no rows of that kind in the split

    print(table([
        ("answerable answered with the right entry", pct("answered_right")),
        ("right entry answered or first button", pct("right_or_first_button")),
        ("answerable that never reached the KB", pct("never_reached_kb")),
        ("confident answers right", pct("confident_answers_right")),
        ("no entry: honestly unresolved and queued", pct("unanswerable_unresolved_and_queued")),
        ("off-topic declined / queued as off_topic",
         f"{pct('off_topic_declined')} / {pct('off_topic_queued_as_off_topic')}"),
        ("order-status requests start the form", pct("order_status_to_form")),
        ("FAQ reply latency", f"p50 {lat.get('p50_ms')} ms  p95 {lat.get('p95_ms')} ms"),
    ]))
    for group, outcomes in result["outcomes"].items():
        print(f"  {group}: {outcomes}")
    for kind, figures in result["by_kind"].items():
        print(f"  {kind:<14} n={figures['n']:<4} right {figures['answered_right']:.1%}  "
              f"right/first {figures['right_or_first_button']:.1%}  not reached {figures['never_reached_kb']:.1%}")
    for line in misses(rows)[: args.show]:
        print(line)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
