"""Auto-assignment latency against the real Rasa, action and console servers (KEFU_DESK_AUTO_ASSIGN=1).

20 customers (--customers) ask for a person over REST at the same instant, with 5 agents online (--agents), each
with room for 4 (--capacity). Measured from the database's own clock: escalation written → assigned to an agent
(claimed_at − created_at), and the customer's "转人工" sent → the customer told who joined (the bot's REST reply
carries the queue notice; "已接入" arrives through the agent-joined update, read back from the tracker).

    .venv/bin/python -m bench.desk_assignment [--customers 20] [--agents 5] [--capacity 4] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.common import kefu_on_a_kb_copy, summarise_ms, table, write_result
from desk.service import desk_store


def aware(value: Any) -> datetime:
    """A datetime from the database as UTC (SQLite gives naive ones, written as UTC)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main() -> int:
    """Start the servers with auto-assignment, escalate the customers at once, report the latencies."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--capacity", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with kefu_on_a_kb_copy("kefu-assign-bench-", desk_auto_assign=True, desk_assign_every_s=2.0) as settings:
        store = desk_store(settings)
        for k in range(args.agents):
            agent = store.create_agent(f"bench-{k}", display_name=f"Agent {k}", role="agent", password_hash="x")
            store.set_capacity(agent["id"], args.capacity)
            store.set_presence(agent["id"], "online")
        url = f"{settings.rasa_url}/webhooks/rest/webhook"
        senders = [f"assign-{uuid.uuid4().hex[:8]}" for _ in range(args.customers)]

        def ask(sender: str) -> float:
            started = time.perf_counter()
            httpx.post(url, json={"sender": sender, "message": "转人工"}, timeout=60).raise_for_status()
            return time.perf_counter() - started

        with ThreadPoolExecutor(args.customers) as pool:
            replies = list(pool.map(ask, senders))
        deadline = time.monotonic() + 60
        assigned: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline and len(assigned) < min(args.customers, args.agents * args.capacity):
            for sender in senders:
                escalation = store.active_for(sender)
                if escalation and escalation["status"] == "claimed":
                    assigned[sender] = escalation
            time.sleep(0.05)
        waits = [(aware(e["claimed_at"]) - aware(e["created_at"])).total_seconds() for e in assigned.values()]
        loads = sorted(a["load"] for a in store.agents() if a["username"].startswith("bench-"))
    result = {"customers": args.customers, "agents": args.agents, "capacity": args.capacity,
              "assigned": len(assigned), "agent_loads": loads, "escalated_to_assigned": summarise_ms(waits),
              "rest_reply": summarise_ms(replies)}
    path = write_result("desk_assignment", result)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    a, r = result["escalated_to_assigned"], result["rest_reply"]
    print(f"Auto-assignment, {args.customers} customers asking for a person at once, {args.agents} agents × "
          f"{args.capacity}")
    print(table([
        ("assigned", f"{len(assigned)} of {args.customers} (agent loads {loads})"),
        ("escalation written → assigned", f"p50 {a['p50_ms']} ms  p95 {a['p95_ms']} ms  p99 {a['p99_ms']} ms"),
        ("customer's \"转人工\" → the bot's reply", f"p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms"),
    ]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
