"""How long the ops dashboard takes to compute on a busy month: its figures are read from the stored events at
every request (nothing pre-aggregated), so this is what an ops user waits for.

Seeds a throw-away SQLite database with Rasa-shaped tracker events for N conversations spread over D days (each:
session start, 1–4 customer messages with sentiment, FAQ answers/clarifications/unknowns, a hand-over in 1 of 5),
desk escalations, ratings and review items, then times `Dashboard.report` for the last day, week and month.

    .venv/bin/python -m bench.dashboard [--conversations 30000] [--days 30]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import percentile, table, write_result

EVENTS_DDL = """CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255)
NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"""
CHANNELS = ("socketio", "wechat", "rest")
LABELS = ("negative", "neutral", "positive")
REPLIES = ("utter_faq_answer", "utter_faq_answer", "utter_faq_clarify", "utter_faq_unknown")


def seed(db: Path, conversations: int, days: int, end: datetime) -> int:
    """Write the events; return how many."""
    rng = random.Random(7)
    rows: list[tuple[str, str, float, str | None, str | None, str]] = []
    span = days * 86400
    for n in range(conversations):
        sender = f"c{n}"
        t = end.timestamp() - rng.random() * span
        lang = rng.choice(("zh", "en"))
        channel = rng.choice(CHANNELS)
        rows.append((sender, "action", t, None, "action_session_start", json.dumps({"event": "action"})))
        for _ in range(rng.randint(1, 4)):
            t += rng.uniform(5, 60)
            label = rng.choice(LABELS)
            rows.append((sender, "user", t, "ask_question", None, json.dumps({
                "event": "user", "text": "退款多久到账" if lang == "zh" else "how long does a refund take",
                "input_channel": channel, "parse_data": {"intent": {"name": "ask_question"},
                                                         "sentiment": {"label": label, "score": 0.8}}})))
            rows.append((sender, "slot", t, None, None, json.dumps({"event": "slot", "name": "language",
                                                                    "value": lang})))
            rows.append((sender, "action", t + 0.05, None, "action_answer_faq", json.dumps({"event": "action"})))
            rows.append((sender, "bot", t + 0.06, None, None, json.dumps({
                "event": "bot", "text": "…", "metadata": {"utter_action": rng.choice(REPLIES)}})))
        if rng.random() < 0.2:
            rows.append((sender, "action", t + 1, None, "action_handoff", json.dumps({"event": "action"})))
    rows.sort(key=lambda r: r[2])
    with sqlite3.connect(db) as conn:
        conn.execute(EVENTS_DDL)
        conn.execute("CREATE INDEX ix_events_sender_id ON events (sender_id)")  # Rasa's only index
        conn.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
                         "VALUES (?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def main() -> int:
    """Seed, time, print, write bench/results/dashboard.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=30_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from console.analytics import Dashboard, Filters

    workdir = Path(tempfile.mkdtemp(prefix="kefu-dashboard-bench-"))
    db = workdir / "kefu.db"
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    events = seed(db, args.conversations, args.days, end)
    print(f"seeded {events:,} events for {args.conversations:,} conversations over {args.days} days "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    url = f"sqlite:///{db}"
    dashboard = Dashboard(url, url, url)
    results: dict[str, dict[str, float]] = {}
    for name, days in (("last day", 1), ("last 7 days", 7), (f"last {args.days} days", args.days)):
        filters = Filters(end - timedelta(days=days), end)
        times = []
        report = {}
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = dashboard.report(filters)
            times.append(time.perf_counter() - t0)
        conversations = next(f["value"] for f in report["figures"] if f["key"] == "conversations")
        results[name] = {"conversations": conversations, "p50_s": round(percentile(times, 50), 2),
                         "max_s": round(max(times), 2)}
    print(f"Dashboard report on SQLite, {events:,} events, 2 cores")
    print(table([(f"{name} ({r['conversations']:,} conversations)", f"p50 {r['p50_s']} s, max {r['max_s']} s")
                 for name, r in results.items()]))
    print(f"wrote {write_result('dashboard', {'events': events, **args.__dict__, 'reports': results})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
