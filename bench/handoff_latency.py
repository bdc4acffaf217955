"""Hand-over latencies with 20 concurrent conversations in handoff, against the real Rasa, action and console servers.

- trigger to queue: the customer sends "转人工" → the escalation reaches the agent desk's live feed;
- agent reply to customer: the desk's reply call → the customer's socket.io client receives the text;
- customer to desk: the customer sends a message → it reaches the desk's live feed.

Two loads: "paced", where each of the 20 conversations has an agent reply and a customer message every few
seconds at random moments (--interval, default 4 s each: about 10 events/s in all), and "burst", where all 20
agents reply at the same instant, then all 20 customers write at the same instant (the worst case).

    .venv/bin/python -m bench.handoff_latency [--conversations 20] [--rounds 5] [--interval 4]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from bench.common import kefu_on_a_kb_copy, summarise_ms, table, write_result
from console.core.security import hash_password
from desk.service import desk_store
from tests.support.clients import Agent, Customer

PASSWORD = "bench-password-1"


def main() -> int:
    """Run the three measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=4.0, help="mean seconds between events per conversation")
    args = parser.parse_args()
    n = args.conversations
    with kefu_on_a_kb_copy("kefu-handoff-bench-") as settings:
        store = desk_store(settings)
        store.create_agent("bench", display_name="Bench Agent", role="agent", password_hash=hash_password(PASSWORD))
        agent = Agent(settings.console_url, "bench", PASSWORD)
        agent.call("POST", "/api/presence", json={"status": "online"})
        customers = [Customer(settings.rasa_url) for _ in range(n)]
        pool = ThreadPoolExecutor(n)
        try:
            # Warm-up: one conversation through the whole path, so first-call costs are not measured.
            warm = Customer(settings.rasa_url)
            warm.say("你好")
            warm.wait_for(lambda t: bool(t))
            warm.close()

            def trigger(c: Customer) -> float:
                seen = len(agent.events)
                sent = c.say("转人工")
                at, _ = agent.wait_event("escalation", lambda e: e["conversation_id"] == c.session_id, after=seen)
                c.wait_for(lambda t: "前面还有" in t)
                return at - sent

            to_queue = list(pool.map(trigger, customers))
            escalations = {c.session_id: agent.escalation_of(c.session_id) for c in customers}
            for c in customers:
                seen = len(c.messages)
                agent.call("POST", f"/api/escalations/{escalations[c.session_id]['id']}/claim")
                c.wait_for(lambda t: "已接入" in t, after=seen)

            def reply(c: Customer, number: int) -> float:
                seen = len(c.messages)
                text = f"agent reply {number} to {c.session_id}"
                sent = time.monotonic()
                agent.call("POST", f"/api/escalations/{escalations[c.session_id]['id']}/reply", json={"text": text})
                stored.append(time.monotonic() - sent)
                at, _ = c.wait_for(lambda t: t == text, after=seen)
                return at - sent

            def relay(c: Customer, number: int) -> float:
                seen = len(agent.events)
                text = f"customer message {number}: 我的订单还没到"
                sent = c.say(text)
                at, _ = agent.wait_event("message", lambda m: m["text"] == text, after=seen)
                return at - sent

            def paced(c: Customer) -> tuple[list[float], list[float]]:
                rng = random.Random(c.session_id)
                out: tuple[list[float], list[float]] = ([], [])
                for number in range(args.rounds):
                    time.sleep(rng.uniform(0, 2 * args.interval))
                    out[0].append(reply(c, number))
                    time.sleep(rng.uniform(0, 2 * args.interval))
                    out[1].append(relay(c, number))
                return out

            stored: list[float] = []
            runs = list(pool.map(paced, customers))
            paced_customer = [t for r in runs for t in r[0]]
            paced_desk = [t for r in runs for t in r[1]]
            paced_stored = list(stored)

            stored.clear()
            to_customer: list[float] = []
            to_desk: list[float] = []
            for number in range(100, 100 + args.rounds):
                to_customer += list(pool.map(lambda c: reply(c, number), customers))  # noqa: B023
                to_desk += list(pool.map(lambda c: relay(c, number), customers))  # noqa: B023
            burst = (to_customer, to_desk, list(stored))
        finally:
            for c in customers:
                c.close()
            agent.close()
            pool.shutdown()
    result = {
        "conversations": n,
        "rounds": args.rounds,
        "trigger_to_queue": summarise_ms(to_queue),
        "interval_s": args.interval,
        "paced_agent_reply_to_customer": summarise_ms(paced_customer),
        "paced_customer_to_desk": summarise_ms(paced_desk),
        "paced_reply_api_response": summarise_ms(paced_stored),
        "burst_agent_reply_to_customer": summarise_ms(burst[0]),
        "burst_customer_to_desk": summarise_ms(burst[1]),
        "burst_reply_api_response": summarise_ms(burst[2]),
    }
    path = write_result("handoff_latency", result)
    print(f"\nHand-over latency, {n} concurrent conversations in handoff ({args.rounds} rounds each way)")
    print(table([
        (name.replace("_", " "), f"p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  (n={r['n']})")
        for name, r in result.items() if isinstance(r, dict)
    ]))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
