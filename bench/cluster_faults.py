"""Kill and restart parts of the cluster under load, then count what customers and agents got.

    .venv/bin/python -m bench.cluster_faults [--customers 16] [--handovers 4] [--duration 100] [--replicas 2]
                                             [--faults kill|restart]

Starts the cluster profile (kefu/cluster.py) on free ports and runs customers against HAProxy: REST customers
sending FAQ questions, chit-chat and order lookups back to back (a customer whose message fails resends it once,
as the widget's resend button does), and socket.io customers who ask for a person, get an agent's reply through the
console's API. Meanwhile, with `--faults kill`, SIGKILL takes one Rasa replica, then one action server, then one
console (each with its process group; the supervisor restarts them); with `--faults restart`, PostgreSQL and then
Redis are stopped and the supervisor starts them again. Afterwards the database is the judge: each customer message
stored once, none lost; each hand-over one escalation; each agent reply delivered once; each review-queue row once.
Prints a table and writes bench/results/cluster_faults_<faults>.json.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench.common import cluster_on_the_demo_kb, table, write_result
from bench.load.mix import Mix
from tests.support.clients import Agent, Customer

AGENT = "fault-agent"
QUEUED = ("前面还有", "in the queue for a human agent")
UNAVAILABLE = ("抱歉，系统暂时出了点问题", "Sorry, part of our system")


class Tally:
    """What the simulated customers and the agent did and saw (thread-safe counters and lists)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()
        self.sent: dict[str, list[str]] = collections.defaultdict(list)  # sender → texts, in order, once each
        self.errors: list[str] = []

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] += n


def rest_customer(url: str, seed: int, stop: threading.Event, tally: Tally) -> None:
    """Back-to-back REST messages from one customer at a time (a new one every few turns)."""
    mix = Mix(seed)
    sender = f"fault-rest-{uuid.uuid4().hex[:10]}"
    turns = mix.conversation_turns()
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            if turns <= 0:
                sender, turns = f"fault-rest-{uuid.uuid4().hex[:10]}", mix.conversation_turns()
            turns -= 1
            _, messages = mix.turn()
            for message in messages:
                with tally.lock:
                    tally.sent[sender].append(message)  # the customer means it once, however often they resend it
                tally.add("messages sent")
                replies = send_until_answered(client, url, sender, message, tally)
                if any(q in str(r.get("text") or "") for r in replies for q in QUEUED):
                    tally.add("REST customers handed over by the bot (they leave)")
                    turns = 0
                    break
            time.sleep(random.uniform(0.2, 1.0))


def apologised(replies: list[dict[str, Any]]) -> bool:
    """Whether the bot said a store is away (the message was not stored; the customer is asked to resend)."""
    return any(str(r.get("text") or "").startswith(UNAVAILABLE) for r in replies)


def send_until_answered(client: httpx.Client, url: str, sender: str, message: str,
                        tally: Tally) -> list[dict[str, Any]]:
    """One customer message over REST, sent again (up to 3 more times, 2 s apart) after a failed request or the
    bot's "please send it again"; returns the bot's replies."""
    for attempt in range(1, 5):
        outcome, replies = "failed", []
        try:
            resp = client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message},
                               headers={"Connection": "close"})
            if resp.status_code == 200:  # a customer with an agent gets no bot reply, rightly
                replies = list(resp.json())
                outcome = "told to resend" if apologised(replies) else "answered"
            else:
                tally.errors.append(f"REST HTTP {resp.status_code}")
        except (httpx.HTTPError, ValueError) as exc:
            tally.errors.append(f"REST {type(exc).__name__}: {exc}"[:120])
        if outcome == "answered":
            tally.add("messages answered")
            if attempt > 1:
                tally.add("answered after a resend")
            return replies
        tally.add("requests failed, resent" if outcome == "failed" else "told a store is away, resent")
        time.sleep(2)
    tally.add("given up after 4 tries")
    with tally.lock:
        tally.sent[sender].remove(message)  # never accepted: nothing of it is expected in the database
    return []


def handover_customer(settings: Any, agent: Agent, stop: threading.Event, tally: Tally) -> None:
    """Socket.io customers who ask for a person, get the agent's reply and answer it; one after another."""
    while not stop.is_set():
        try:
            customer = Customer(settings.rasa_url)
        except Exception as exc:
            tally.errors.append(f"socket connect: {exc}"[:120])
            time.sleep(1)
            continue
        try:
            tally.add("hand-overs asked")
            with tally.lock:
                tally.sent[customer.session_id].append("转人工")
            for _ in range(4):
                seen = len(customer.messages)
                customer.say("转人工")
                try:
                    _, first = customer.wait_for(bool, timeout=15, after=seen)
                except TimeoutError:  # the widget marks the message "not confirmed": its customer sends it again
                    tally.add("hand-over requests unconfirmed, resent")
                    continue
                if not apologised([first]):
                    break
                tally.add("hand-over requests told a store is away, resent")
                time.sleep(2)
            escalation = queue_entry(agent, customer.session_id)
            tally.add("hand-overs queued")
            retried(agent, "POST", f"/api/escalations/{escalation['id']}/claim", tally)
            reply = f"您好，我是客服 {uuid.uuid4().hex[:8]}"
            seen = len(customer.messages)
            retried(agent, "POST", f"/api/escalations/{escalation['id']}/reply", tally, {"text": reply},
                    after_a_dead_console=False)  # it may have been stored: the agent would look before resending
            tally.add("agent replies sent")
            customer.wait_for(lambda t, r=reply: t == r, after=seen, timeout=60)
            tally.add("agent replies delivered")
            time.sleep(2)  # a redelivery would arrive now
            copies = sum(1 for _, m in customer.messages if m.get("text") == reply)
            if copies > 1:
                tally.add("agent replies duplicated", copies - 1)
            retried(agent, "POST", f"/api/escalations/{escalation['id']}/resolve", tally)
        except Exception as exc:
            time.sleep(1)  # a person does not ask again a hundred times a second
            tally.errors.append(f"hand-over {customer.session_id} at {time.strftime('%H:%M:%S')}: "
                                f"{type(exc).__name__}: {exc}"[:200])
        finally:
            with contextlib.suppress(Exception):  # a socket on a killed replica may already be gone
                customer.close()


def queue_entry(agent: Agent, conversation_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The conversation's escalation in the desk's queue, polled as the desk does (a 503 while the database is
    away is polled again)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return agent.escalation_of(conversation_id, timeout=max(1.0, deadline - time.monotonic()))
        except (AssertionError, httpx.TransportError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def retried(agent: Agent, method: str, path: str, tally: Tally, body: dict[str, Any] | None = None,
            after_a_dead_console: bool = True) -> Any:
    """A desk call tried again, as an agent clicks again after the desk shows an error: after a 503 (the database
    was away: nothing was done), and, for calls that are safe to repeat (claim, resolve), after its console died
    under it (a 409 then means the first call had gone through)."""
    for attempt in range(1, 6):
        try:
            resp = agent.http.request(method, path, json=body)
        except httpx.TransportError:
            if not after_a_dead_console or attempt == 5:
                raise
            tally.add("desk calls tried again after their console died")
            time.sleep(1)
            continue
        if resp.status_code == 503 and attempt < 5:
            tally.add("desk calls tried again after a 503")
            time.sleep(1)
            continue
        assert resp.status_code < 300 or (attempt > 1 and resp.status_code == 409), \
            f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None
    return None


def faults(cluster: Any, kind: str, start_after: float, every: float, stop: threading.Event,
           log: list[str]) -> None:
    """Kill (SIGKILL, whole process group) or restart the chosen processes, one every `every` seconds."""
    names = ["rasa-1", "actions-1", "console-1"] if kind == "kill" else ["postgres", "redis"]
    if stop.wait(start_after):
        return
    for name in names:
        child = next(c for c in cluster.children() if c.name == name)
        if kind == "kill":
            os.killpg(child.proc.pid, signal.SIGKILL)
            log.append(f"{time.strftime('%H:%M:%S')} SIGKILL {name}")
        else:  # stopped politely; the supervisor starts it again (after 1 s), as it would after a crash
            child.stop()
            log.append(f"{time.strftime('%H:%M:%S')} stopped {name}")
        if stop.wait(every):
            return


def judge(settings: Any, tally: Tally) -> dict[str, Any]:
    """Count, from PostgreSQL, what was stored of what the customers sent."""
    engine = create_engine(settings.tracker_url)
    with engine.connect() as c:
        rows = c.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user' AND "
                              "(sender_id LIKE 'fault-rest-%' OR sender_id LIKE 'cust-%') ORDER BY id")).all()
        escalations = c.execute(text("SELECT conversation_id, count(*) FROM desk_escalations WHERE conversation_id "
                                     "LIKE 'cust-%' GROUP BY 1")).all()
        agent_messages = c.execute(text("SELECT count(*), count(delivered_at), count(DISTINCT text) FROM "
                                        "desk_messages WHERE role = 'agent'")).one()
        statuses = c.execute(text("SELECT status, count(*) FROM desk_escalations WHERE conversation_id LIKE "
                                  "'cust-%' GROUP BY 1")).all()
        review = c.execute(text("SELECT conversation_id, text, count(*) FROM kb_review_items WHERE conversation_id "
                                "LIKE 'fault-rest-%' GROUP BY 1, 2")).all()
    engine.dispose()
    stored: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for sender, data in rows:
        stored[sender][json.loads(data).get("text") or ""] += 1
    lost = duplicated = 0
    for sender, texts in tally.sent.items():
        wanted = collections.Counter(texts)
        for message, n in wanted.items():
            got = stored[sender][message]
            lost += max(0, n - got)
            duplicated += max(0, got - n)
    return {
        "customer messages stored": sum(sum(c.values()) for c in stored.values()),
        "customer messages lost": lost,
        "customer messages duplicated": duplicated,
        "escalations": len(escalations),
        "escalations duplicated": sum(n - 1 for _, n in escalations if n > 1),
        "escalations by status": dict(statuses),
        "agent replies stored / delivered": f"{agent_messages[0]} / {agent_messages[1]}",
        "review-queue rows": len(review),
        # A question asked twice in one conversation rightly queues twice: more rows than askings is a duplicate.
        "review-queue rows duplicated": sum(max(0, n - tally.sent[conv].count(question))
                                            for conv, question, n in review),
    }


def main() -> int:
    """Start the cluster, load it, inject the faults, judge."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=16, help="REST customers at once")
    parser.add_argument("--handovers", type=int, default=4, help="socket.io customers in hand-overs at once")
    parser.add_argument("--duration", type=int, default=100, help="seconds of load")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--faults", choices=["kill", "restart"], default="kill")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from console.core.security import hash_password
    from desk.service import desk_store

    with cluster_on_the_demo_kb("kefu-faults-", args.replicas) as (settings, cluster):
        password = uuid.uuid4().hex
        desk_store(settings).create_agent(AGENT, display_name="Fault Agent", role="agent",
                                          password_hash=hash_password(password))
        agent = Agent(settings.console_url, AGENT, password)
        agent.call("POST", "/api/presence", json={"status": "online"})
        stop, done, tally, log = threading.Event(), threading.Event(), Tally(), []

        def supervise() -> None:  # what `make run-cluster` does: restart what died
            while not done.wait(0.5):
                log.extend(f"{time.strftime('%H:%M:%S')} {line.splitlines()[0]}" for line in cluster.watch())

        def heartbeat() -> None:  # the desk says the agent is online every 20 s (presence expires after 60 s)
            while not done.wait(20):
                with contextlib.suppress(Exception):
                    agent.call("POST", "/api/presence", json={"status": "online"})

        threads = [threading.Thread(target=supervise, daemon=True), threading.Thread(target=heartbeat, daemon=True),
                   threading.Thread(target=faults, args=(cluster, args.faults, 20, 25, stop, log), daemon=True)]
        threads += [threading.Thread(target=rest_customer, args=(settings.rasa_url, k, stop, tally), daemon=True)
                    for k in range(args.customers)]
        threads += [threading.Thread(target=handover_customer, args=(settings, agent, stop, tally), daemon=True)
                    for _ in range(args.handovers)]
        started = time.monotonic()
        for t in threads:
            t.start()
        stop.wait(args.duration)
        stop.set()
        for t in threads[3:]:
            t.join(120)
        time.sleep(5)  # redeliveries land
        verdict = judge(settings, tally)
        done.set()
        agent.close()
        seconds = time.monotonic() - started
    result = {"faults": args.faults, "replicas": args.replicas, "customers": args.customers,
              "handovers": args.handovers, "duration_s": round(seconds), "events": log,
              "customers_saw": dict(tally.counts), "database": verdict, "errors": tally.errors[:20]}
    path = write_result(f"cluster_faults_{args.faults}", result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"{args.faults} faults under load: {args.customers} REST customers, {args.handovers} in hand-overs, "
          f"{args.replicas} replicas, {round(seconds)} s")
    print(table([(line, "") for line in log] or [("no faults", "")]))
    print(table([(k, v) for k, v in sorted(tally.counts.items())] + list(verdict.items())))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
