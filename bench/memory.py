"""What remembering customers is worth, on a month of synthetic traffic replayed through the real actions.

A seeded generator makes C customers over D days (default 400 over 30): each owns 1–3 orders and comes back 1–6
times. A visit is a new conversation (session) in which the customer asks a question of the demo knowledge base
(worded as one of the entry's questions, so a repeat may be worded differently) or asks about an order: the first
time with its number, later "where is my order" without one (the order they mean: the one they asked about last,
7 times in 10, else another of theirs). An answer leaves the customer's problem unsettled 3 times in 10; such a
customer comes back 1–6 days later and asks again (up to twice).

Every visit is replayed in time order on a clock of its own through the real actions (Kefu's session start,
action_ask_order_number, action_answer_faq with the real knowledge base) over a tracker store that holds everything
said before, written the way Rasa's SQL tracker store writes it (a throw-away copy of the live database). Measured:

- how often "where is my order" without a number offers the order the customer means (no number typed);
- the repeat-inquiry rate (the dashboard's definition: customers answered an entry who were answered the same entry
  again in a later conversation within 7 days), with the repeat notice (behaviour 3) and without: with it, a
  customer told "you asked this N days ago, a person?" takes the offer with probability --accept (0.5, an
  assumption: no measured figure exists), and a person settles it; without it, nothing changes for them;
- what the memory reads add to each of those actions (p50/p95): each action timed with the memory and with it
  switched off, on the same tracker, with the knowledge base's result already cached for both runs.

    .venv/bin/python -m bench.memory [--customers 400] [--days 30] [--accept 0.5] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import percentile, table, write_result

DAY = 86400.0
EVENTS_DDL = """CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL,
type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"""
DEMO_ORDERS = ("KF20231123018", "KF20231120007", "2023112300012345")


@dataclass
class Customer:
    """One synthetic customer: their conversation id, language, orders and what is still unsettled."""

    sender: str
    language: str
    orders: list[str]
    asked_order: str | None = None
    unsettled: dict[str, int] = field(default_factory=dict)  # entry → times asked so far


@dataclass
class Visit:
    """One conversation: when, whose, and what they ask (faq entry or order); `again`: the customer asks because
    an earlier answer did not settle it."""

    at: float
    customer: Customer
    kind: str  # faq, order
    faq_id: str = ""
    again: bool = False


@dataclass
class Figures:
    """What one replay measured."""

    where_is_my_order: int = 0
    offered_right: int = 0
    offered_single_right: int = 0
    answered: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # sender → (entry, at)
    notices: int = 0
    accepted: int = 0
    asked_again: int = 0  # visits asking again what an earlier answer did not settle
    noticed_again: int = 0  # of those, the ones the bot noticed
    noticed_first: int = 0  # notices on a question asked for the first time (another entry of its category)
    welcomes: int = 0
    added_s: dict[str, list[float]] = field(default_factory=dict)

    def repeat_rate(self) -> float:
        """Customers answered an entry again in a later conversation within 7 days, over customers answered."""
        repeaters = 0
        for answers in self.answered.values():
            seen: dict[str, float] = {}
            for faq_id, at in answers:
                if faq_id in seen and at - seen[faq_id] <= 7 * DAY:
                    repeaters += 1
                    break
                seen[faq_id] = at
        return repeaters / len(self.answered) if self.answered else 0.0

    def repeats_per_100(self) -> float:
        """Answers of an entry the customer was already given in the 7 days before, per 100 FAQ answers."""
        repeats = total = 0
        for answers in self.answered.values():
            seen: dict[str, float] = {}
            for faq_id, at in answers:
                total += 1
                repeats += faq_id in seen and at - seen[faq_id] <= 7 * DAY
                seen[faq_id] = at
        return 100 * repeats / total if total else 0.0


class Store:
    """The throw-away tracker store: Rasa's events table, written as the SQL tracker store writes it."""

    def __init__(self, db: Path) -> None:
        self.db = sqlite3.connect(db)
        self.db.execute(EVENTS_DDL)
        self.db.execute("DELETE FROM events")
        self.db.execute("CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id)")
        self.db.commit()

    def write(self, sender: str, events: list[dict[str, Any]]) -> None:
        """Append a conversation's events."""
        self.db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) VALUES (?,?,?,?,?,?)",
            [(sender, e["event"], e["timestamp"], (e.get("parse_data") or {}).get("intent", {}).get("name"),
              e.get("name") if e["event"] == "action" else None, json.dumps(e, ensure_ascii=False)) for e in events])
        self.db.commit()


def entries_and_questions(kb: Any, language: str) -> dict[str, list[str]]:
    """The published entries' questions in a language (from the live index)."""
    meta = kb.current().meta
    out: dict[str, list[str]] = {}
    for entry_id, lang, question in zip(meta.entry_ids, meta.langs, meta.questions, strict=True):
        if lang == language:
            out.setdefault(entry_id, []).append(question)
    return {k: v for k, v in out.items() if len(v) >= 2}


def month(rng: random.Random, customers: int, days: int, end: float, entries: list[str]) -> list[Visit]:
    """The visits of the month, in time order (repeats of unsettled questions are added during the replay)."""
    visits: list[Visit] = []
    for n in range(customers):
        own = [rng.choice(DEMO_ORDERS) if rng.random() < 0.3 else f"KF2026{rng.randrange(10**7, 10**8)}"
               for _ in range(rng.randint(1, 3))]
        customer = Customer(f"memory-{n}", rng.choice(("zh", "zh", "en")), list(dict.fromkeys(own)))
        for _ in range(rng.randint(1, 6)):
            at = end - rng.random() * days * DAY
            kind = "order" if rng.random() < 0.35 else "faq"
            visits.append(Visit(at, customer, kind, rng.choice(entries) if kind == "faq" else ""))
    return sorted(visits, key=lambda v: v.at)


def tracker(sender: str, language: str, events: list[dict[str, Any]], text: str) -> Any:
    """The tracker an action gets: the current session's events and the latest message."""
    from rasa_sdk import Tracker

    return Tracker(sender_id=sender, slots={"language": language, "customer_tier": None}, events=events,
                   latest_message={"text": text, "intent": {"name": "", "confidence": 1.0}, "entities": [],
                                   "metadata": {}}, paused=False, followup_action=None, active_loop={},
                   latest_action_name="action_listen")


def bot_events(messages: list[dict[str, Any]], at: float) -> list[dict[str, Any]]:
    """The dispatcher's messages as the bot events Rasa stores (the response name and the entry in the metadata)."""
    out = []
    for m in messages:
        metadata = {"utter_action": m.get("response") or m.get("utter_action")}
        if m.get("faq_id"):
            metadata["faq_id"] = m["faq_id"]
        out.append({"event": "bot", "timestamp": at, "text": m.get("text") or m.get("response"),
                    "metadata": metadata})
    return out


class Replay:
    """Runs the month's visits through the real actions on a clock of their own."""

    def __init__(self, store: Store, seed: int, accept: float, notice: bool, questions: dict[str, dict],
                 domain: dict[str, Any]) -> None:
        from actions import faq, memory, welcome

        self.store, self.seed, self.accept, self.notice = store, seed, accept, notice
        self.questions, self.domain = questions, domain
        self.faq, self.memory, self.welcome = faq, memory, welcome
        self.now = 0.0
        clock = types.SimpleNamespace(time=lambda: self.now, monotonic=time.monotonic,
                                      perf_counter=time.perf_counter)
        # The month is replayed on its own clock: "the last 7 days" are the visit's, not today's.
        for module in (faq, memory, welcome):
            module.time = clock  # type: ignore[attr-defined]
        self.real_history, self.real_conversations = memory.stored_history, memory.conversations
        self.figures = Figures()

    def memory_on(self, on: bool) -> None:
        """The real memory reads, or none (a first-time customer's cost)."""
        async def only_this(t: Any) -> list[str]:
            return [t.sender_id]

        self.memory.stored_history = self.real_history if on else (lambda *a, **k: [])
        self.memory.conversations = self.real_conversations if on else only_this

    def run(self, action: Any, make: Any, kind: str) -> list[dict[str, Any]]:
        """The action with the memory on (its messages) after a run with it off; the difference is recorded."""
        from rasa_sdk.executor import CollectingDispatcher

        timings = {}
        messages: list[dict[str, Any]] = []
        for on in (False, True):
            self.memory_on(on)
            dispatcher = CollectingDispatcher()
            started = time.perf_counter()
            asyncio.run(action.run(dispatcher, make(), self.domain))
            timings[on] = time.perf_counter() - started
            messages = dispatcher.messages
        self.figures.added_s.setdefault(kind, []).append(max(0.0, timings[True] - timings[False]))
        return messages

    def draw(self, *situation: object) -> random.Random:
        """The same draw for the same situation in both replays (with and without the notice), so that the two
        differ only by what the notice changes."""
        return random.Random(":".join(map(str, (self.seed, *situation))))

    def visit(self, v: Visit, queue: list[Visit]) -> None:
        """One conversation: the session's start, then the customer's question and the bot's answer."""
        c, self.now = v.customer, v.at
        start = {"event": "action", "name": "action_session_start", "timestamp": v.at}
        current = [start]
        said = self.run(self.welcome.ActionSessionStart(), lambda: tracker(c.sender, c.language, [], ""), "welcome")
        self.figures.welcomes += bool(said)
        events = [start, *bot_events(said, v.at)]
        t = v.at + 5
        if v.kind == "order":
            events += self.order(c, current, t)
        else:
            events += self.ask(v, c, current, t, queue)
        self.store.write(c.sender, events)

    def order(self, c: Customer, current: list[dict[str, Any]], t: float) -> list[dict[str, Any]]:
        """Asked about an order: with its number the first time, else "where is my order" (the form asks)."""
        rng = self.draw(c.sender, "order", self.now)
        mean = c.asked_order if c.asked_order and rng.random() < 0.7 else rng.choice(c.orders)
        if c.asked_order is None:
            text = f"我的订单{mean}到哪了" if c.language == "zh" else f"where is my order {mean}"
            c.asked_order = mean
            return [{"event": "user", "timestamp": t, "text": text, "parse_data": {"intent": {"name": "order"}}},
                    {"event": "slot", "timestamp": t, "name": "order_number", "value": mean}]
        text = "我的快递到哪了" if c.language == "zh" else "where is my parcel"
        user = {"event": "user", "timestamp": t, "text": text, "parse_data": {"intent": {"name": "order"}}}
        from actions.order_status import ActionAskOrderNumber

        said = self.run(ActionAskOrderNumber(), lambda: tracker(c.sender, c.language, [*current, user], text),
                        "ask_order_number")
        offered = [b["payload"] for m in said for b in m.get("buttons") or []]
        self.figures.where_is_my_order += 1
        self.figures.offered_right += mean in offered
        self.figures.offered_single_right += offered == [mean]
        c.asked_order = mean
        return [user, *bot_events(said, t), {"event": "slot", "timestamp": t + 3, "name": "order_number",
                                             "value": mean}]

    def ask(self, v: Visit, c: Customer, current: list[dict[str, Any]], t: float,
            queue: list[Visit]) -> list[dict[str, Any]]:
        """An FAQ question, worded as one of the entry's questions; the real answer, and what the customer does."""
        rng = self.draw(c.sender, v.faq_id, self.now)
        text = rng.choice(self.questions[c.language][v.faq_id])
        user = {"event": "user", "timestamp": t, "text": text, "parse_data": {"intent": {"name": "ask_question"}}}
        self.faq.kb_client.ask(text, c.language)  # cached for both timed runs
        said = self.run(self.faq.ActionAnswerFaq(), lambda: tracker(c.sender, c.language, [*current, user], text),
                        "answer_faq")
        answered = next((m.get("faq_id") for m in said if m.get("response") == "utter_faq_answer"), None)
        if answered:
            self.figures.answered.setdefault(c.sender, []).append((str(answered), t))
        noticed = any(m.get("response") in ("utter_faq_asked_before", "utter_faq_asked_similar") for m in said)
        if not self.notice:  # behaviour 3 switched off: the customer never sees the notice
            said = [m for m in said if m.get("response") not in ("utter_faq_asked_before", "utter_faq_asked_similar")]
            noticed = False
        self.figures.notices += noticed
        self.figures.asked_again += v.again
        self.figures.noticed_again += noticed and v.again
        self.figures.noticed_first += noticed and not v.again
        times = c.unsettled.get(v.faq_id, 0)
        unsettled, accepts, back = rng.random() < 0.3, rng.random() < self.accept, rng.uniform(1, 6)
        if noticed and accepts:
            self.figures.accepted += 1  # a person settles it
            c.unsettled.pop(v.faq_id, None)
        elif unsettled and times < 2:
            c.unsettled[v.faq_id] = times + 1
            queue.append(Visit(t + back * DAY, c, "faq", v.faq_id, again=True))
        else:
            c.unsettled.pop(v.faq_id, None)
        return [user, *bot_events(said, t)]


def replay(workdir: Path, seed: int, customers: int, days: int, accept: float, notice: bool) -> Figures:
    """One month, replayed; the same seed gives the same customers and questions with and without the notice."""
    from actions.clients import kb as kb_client
    from actions.faq import domain_responses

    store = Store(workdir / "kefu.db")
    kb = kb_client.knowledge_base()
    questions = {lang: entries_and_questions(kb, lang) for lang in ("zh", "en")}
    entries = sorted(set(questions["zh"]) & set(questions["en"]))
    rng = random.Random(seed)
    end = time.time() - DAY
    pending = month(rng, customers, days, end, entries)
    r = Replay(store, seed, accept, notice, questions, {"responses": domain_responses()})
    kb_client.follow_ups_of = lambda faq_id: []  # type: ignore[assignment]  # none learned in this month
    done = 0
    while pending:
        pending.sort(key=lambda v: v.at)
        v = pending.pop(0)
        if v.at <= end + DAY:
            r.visit(v, pending)
            done += 1
            if done % 250 == 0:
                print(f"  {'with' if notice else 'without'} the notice: {done} visits replayed…", file=sys.stderr,
                      flush=True)
    return r.figures


def main() -> int:
    """Replay the month twice (with and without the repeat notice); print and write bench/results/memory.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--accept", type=float, default=0.5, help="how often a noticed repeat takes the person")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kefu-memory-bench-"))
    live = Path("data/kefu.db")
    if not live.exists() or not Path("data/index").exists():
        raise SystemExit("no knowledge base yet: run `make kb` first")
    with sqlite3.connect(live) as source, sqlite3.connect(workdir / "kefu.db") as copy:
        source.backup(copy)  # the knowledge base's tables; the desk's and the events are replaced
    os.environ.update({"KEFU_DATA_DIR": str(workdir), "KB_INDEX_DIR": str(Path("data/index").resolve()),
                       "KEFU_DATABASE_URL": f"sqlite:///{workdir / 'kefu.db'}"})
    results: dict[str, Any] = {}
    try:
        for notice in (True, False):
            started = time.perf_counter()
            f = replay(workdir, args.seed, args.customers, args.days, args.accept, notice)
            results["with_notice" if notice else "without_notice"] = {
                "customers_answered": len(f.answered), "repeat_inquiry_rate": round(f.repeat_rate(), 4),
                "repeats_per_100_answers": round(f.repeats_per_100(), 2),
                "asked_again": f.asked_again, "noticed_again": f.noticed_again, "noticed_first": f.noticed_first,
                "notices": f.notices, "took_a_person": f.accepted, "welcomes": f.welcomes,
                "where_is_my_order": f.where_is_my_order,
                "order_offered": round(f.offered_right / f.where_is_my_order, 4) if f.where_is_my_order else None,
                "order_offered_alone": round(f.offered_single_right / f.where_is_my_order, 4)
                if f.where_is_my_order else None,
                "added_ms": {k: {"n": len(v), "p50": round(1000 * percentile(v, 50), 1),
                                 "p95": round(1000 * percentile(v, 95), 1)} for k, v in f.added_s.items()},
                "seconds": round(time.perf_counter() - started, 1)}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    on, off = results["with_notice"], results["without_notice"]
    results["settings"] = vars(args)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        rows: list[tuple[str, object]] = [
            ("customers answered an FAQ entry", on["customers_answered"]),
            ("repeat-inquiry rate (customers), with the notice", f"{on['repeat_inquiry_rate']:.1%}"),
            ("repeat-inquiry rate (customers), without it", f"{off['repeat_inquiry_rate']:.1%}"),
            ("repeats per 100 FAQ answers, with the notice", f"{on['repeats_per_100_answers']:.1f} "
                                                             f"({on['took_a_person']} took a person)"),
            ("repeats per 100 FAQ answers, without it", f"{off['repeats_per_100_answers']:.1f}"),
            ("asked again, noticed by the bot", f"{on['noticed_again']} of {on['asked_again']}"),
            ("notices on a first ask (same category)", on["noticed_first"]),
            ("'where is my order' without a number", on["where_is_my_order"]),
            ("  the order meant was offered", f"{on['order_offered']:.1%} (alone: {on['order_offered_alone']:.1%})"),
            ("welcomes back said", on["welcomes"]),
        ]
        rows += [(f"added by memory, {k}", f"p50 {v['p50']} ms, p95 {v['p95']} ms (n={v['n']})")
                 for k, v in on["added_ms"].items()]
        print(f"A month of synthetic traffic, {args.customers} customers over {args.days} days (seed {args.seed})")
        print(table(rows))
    print(f"wrote {write_result('memory', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
