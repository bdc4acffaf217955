"""Load on the embedded default: replies per second, waiting times and CPU per customer message, per server process.

    .venv/bin/python -m bench.load burst  [--senders 20] [--messages 10] [--runs 2]   back-to-back REST senders
    .venv/bin/python -m bench.load locust [--users 200] [--duration 120] [--think-min 3] [--think-max 8]
    .venv/bin/python -m bench.load idle   [--questions 40]                            one FAQ question at a time
    … --cluster N   the same against the cluster profile (PostgreSQL, Redis, HAProxy; N replicas of each server)

Each starts Rasa, the action server and the console on free loopback ports over a copy of the knowledge base
(or uses --url with running servers, then without CPU figures), warms them up, measures, prints a summary table
and writes bench/results/load_<mode>.json (load_<mode>_cluster<N>.json with --cluster; `--json` prints that JSON
instead). CPU per message is each server
process's user+system CPU-seconds over the measurement (with the processes it started), divided by the number of
customer messages sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.common import RESULTS, cluster_on_the_demo_kb, servers_on_a_kb_copy, summarise_ms, table, write_result
from bench.load.cpu import CpuMeter
from bench.load.mix import Mix, faq_questions

HERE = Path(__file__).resolve().parent
AGENT = "load-agent"


async def post(client: httpx.AsyncClient, url: str, sender: str, text: str) -> tuple[float, bool]:
    """Send one REST message: (seconds to the reply, whether it was a good reply)."""
    started = time.perf_counter()
    try:
        resp = await client.post(url, json={"sender": sender, "message": text})
        ok = resp.status_code == 200 and any(m.get("text") for m in resp.json())
    except (httpx.HTTPError, ValueError):
        ok = False
    return time.perf_counter() - started, ok


async def burst(rasa_url: str, senders: int, messages: int, tag: str, seed: int = 0) -> dict[str, Any]:
    """`senders` REST customers each sending `messages` back to back; replies/s, waiting times, errors. Each
    `seed` draws other messages (a run that repeats the last one's questions would find them cached)."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=senders)) as client:

        async def one(k: int) -> list[tuple[float, bool]]:
            sender = f"burst-{tag}-{k}-{uuid.uuid4().hex[:6]}"
            return [await post(client, url, sender, text) for text in Mix(seed * 1000 + k).messages(messages)]

        started = time.perf_counter()
        results = [r for rs in await asyncio.gather(*(one(k) for k in range(senders))) for r in rs]
        wall = time.perf_counter() - started
    return {**summarise_ms([s for s, _ in results]), "errors": sum(not ok for _, ok in results),
            "replies_per_s": round(len(results) / wall, 1), "wall_s": round(wall, 2)}


async def idle(rasa_url: str, questions: int) -> dict[str, Any]:
    """One FAQ question at a time, each in a new conversation."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    faq = faq_questions()[:questions]
    async with httpx.AsyncClient(timeout=60) as client:
        samples = [await post(client, url, f"idle-{uuid.uuid4().hex[:8]}", q) for q, _ in faq]
    return {**summarise_ms([s for s, _ in samples]), "errors": sum(not ok for _, ok in samples)}


def run_locust(settings: Any, args: argparse.Namespace, password: str) -> dict[str, Any]:
    """Run the locustfile headless; Locust's aggregated figures per request name, and the hand-over outcomes."""
    with tempfile.TemporaryDirectory(prefix="kefu-locust-") as tmp:
        outcomes = Path(tmp) / "outcomes.json"
        prefix = Path(tmp) / "stats"
        argv = [str(Path(sys.executable).with_name("locust")), "-f", str(HERE / "locustfile.py"), "--headless",
                "--only-summary", "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
                "--stop-timeout", "40", "--host", settings.rasa_url, "--csv", str(prefix),
                "--console-url", settings.console_url, "--agent", AGENT, "--agent-password", password,
                "--think-min", str(args.think_min), "--think-max", str(args.think_max),
                "--socket-transport", args.socket_transport, "--outcomes", str(outcomes)]
        env = {**os.environ, "PYTHONPATH": str(HERE.parent.parent)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(Path(tmp) / "locust.log", "w+", encoding="utf-8") as log:
            proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                proc.wait(args.duration + 120)
            except subprocess.TimeoutExpired:
                # A simulated customer stuck on a socket keeps Locust from ending: SIGTERM makes it quit and write
                # its statistics all the same.
                proc.terminate()
                proc.wait(60)
            log.seek(0)
            output = log.read()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Locust shares the 2 cores with the servers: what it used is load the servers did not get.
        locust_cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        if not (prefix.parent / "stats_stats.csv").exists():
            raise SystemExit(f"locust failed ({proc.returncode}):\n{output[-3000:]}")
        with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        failures = Path(f"{prefix}_failures.csv").read_text(encoding="utf-8").strip().splitlines()[1:]
        got = json.loads(outcomes.read_text()) if outcomes.exists() else {}
    stats = {
        f"{r['Type']} {r['Name']}".strip(): {
            "n": int(r["Request Count"]), "failures": int(r["Failure Count"]),
            "p50_ms": float(r["50%"] or 0), "p95_ms": float(r["95%"] or 0), "p99_ms": float(r["99%"] or 0),
            "per_s": round(float(r["Requests/s"] or 0), 2),
        }
        for r in rows
    }
    return {"stats": stats, "failures": failures, "locust_cpu_s": round(locust_cpu_s, 1), **got}


def customer_messages(stats: dict[str, Any]) -> int:
    """Customer messages that reached Rasa in a Locust run (REST and socket.io turns, and hand-over requests)."""
    return sum(v["n"] for k, v in stats.items()
               if k.startswith(("POST rest", "socket.io socket.io", "hand-over customer to queue")))


def main() -> int:
    """Parse the mode and its options, start the servers, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["burst", "locust", "idle"])
    parser.add_argument("--url", help="a running Rasa server (no CPU figures, no hand-over agent)")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10, help="messages per sender (burst)")
    parser.add_argument("--runs", type=int, default=2, help="burst runs after the warm-up")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=20)
    parser.add_argument("--duration", type=int, default=120, help="seconds of Locust load")
    parser.add_argument("--think-min", type=float, default=3.0)
    parser.add_argument("--think-max", type=float, default=8.0)
    parser.add_argument("--socket-transport", default="websocket", choices=["websocket", "polling"])
    parser.add_argument("--questions", type=int, default=40, help="FAQ questions (idle)")
    parser.add_argument("--cluster", type=int, default=0, metavar="N",
                        help="measure the cluster profile with N replicas of each server instead of make run's")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        if args.url:
            rasa_url, settings, pids = args.url, None, {}
        elif args.cluster:
            settings, cluster = stack.enter_context(cluster_on_the_demo_kb(f"kefu-load-{args.mode}-", args.cluster))
            rasa_url = settings.rasa_url
            pids = {c.name: c.proc.pid for c in cluster.children() if c.proc is not None}
        else:
            settings, supervisor = stack.enter_context(servers_on_a_kb_copy(f"kefu-load-{args.mode}-"))
            rasa_url = settings.rasa_url
            pids = {c.name: c.proc.pid for c in supervisor.children if c.proc is not None}
        # Warm-up: first calls load lazily built parts (tokenisers, graph traces); they are not what we measure.
        asyncio.run(burst(rasa_url, min(args.senders, 10), 3, "warm", seed=99))
        result: dict[str, Any] = {"mode": args.mode, "cpu_count": os.cpu_count(), "cluster_replicas": args.cluster}
        if args.mode == "burst":
            runs = []
            for run in range(args.runs):
                meter = CpuMeter(pids)
                figures = asyncio.run(burst(rasa_url, args.senders, args.messages, f"r{run}", seed=run + 1))
                figures["cpu_ms_per_message"] = meter.per_message(args.senders * args.messages) if pids else {}
                runs.append(figures)
            result.update(senders=args.senders, messages=args.messages, runs=runs)
            rows = [(f"run {i + 1}", f"{r['replies_per_s']} replies/s  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  "
                                     f"errors {r['errors']}  CPU/msg {r['cpu_ms_per_message']}")
                    for i, r in enumerate(runs)]
            title = f"{args.senders} back-to-back REST senders × {args.messages} messages"
        elif args.mode == "idle":
            figures = asyncio.run(idle(rasa_url, args.questions))
            result.update(figures)
            rows = [("one FAQ question at a time", f"p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  "
                                                   f"(n={figures['n']}, errors {figures['errors']})")]
            title = "idle server"
        else:
            if settings is None:
                raise SystemExit("locust mode starts its own servers (it creates the hand-over agent): drop --url")
            from console.core.security import hash_password
            from desk.service import desk_store

            password = uuid.uuid4().hex
            desk_store(settings).create_agent(AGENT, display_name="Load Agent", role="agent",
                                              password_hash=hash_password(password))
            meter = CpuMeter(pids)
            got = run_locust(settings, args, password)
            sent = customer_messages(got["stats"])
            got["customer_messages"] = sent
            got["cpu_ms_per_message"] = meter.per_message(sent)
            result.update(users=args.users, duration_s=args.duration, think_s=[args.think_min, args.think_max],
                          transport=args.socket_transport, **got)
            agg = got["stats"].get("Aggregated", {})
            rows = [(name, f"n {v['n']}  failures {v['failures']}  p50 {v['p50_ms']:.0f} ms  p95 {v['p95_ms']:.0f} ms")
                    for name, v in got["stats"].items()]
            rows += [("agent replies delivered",
                      f"{got.get('agent_replies_delivered', 0)} of {got.get('agent_replies_sent', 0)}"),
                     ("handed over by the bot", f"{got.get('handed_over_by_the_bot', 0)} customers (they leave)"),
                     ("customer messages", f"{sent} ({sent / args.duration:.1f}/s)"),
                     ("CPU ms per customer message", str(got["cpu_ms_per_message"])),
                     ("Locust's own CPU", f"{got['locust_cpu_s']} s ({got['locust_cpu_s'] / args.duration:.2f} cores)"),
                     ("failures", str(len(got["failures"])) + (f"  e.g. {got['failures'][0]}" if got["failures"]
                                                              else ""))]
            title = (f"Locust: {args.users} customers, think {args.think_min:g}-{args.think_max:g} s, "
                     f"{args.duration} s ({agg.get('n', 0)} requests)")
    path = write_result(f"load_{args.mode}" + (f"_cluster{args.cluster}" if args.cluster else ""), result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(title)
        print(table(rows))
        print(f"written to {path.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
