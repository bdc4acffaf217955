"""REST reply latency: 500 sequential messages, then 20 concurrent senders; replies per second.

Starts its own Rasa and action servers on free loopback ports (or uses --url), with a throw-away data dir.
Usage: .venv/bin/python -m bench.rest_latency [--messages 500] [--concurrency 20] [--url http://127.0.0.1:5005]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import sys
import time

import httpx

from bench.common import kefu_on_a_kb_copy, summarise_ms, table, write_result

# A mix of what customers send: chit-chat, questions, complaints, and order lookups that call the action server.
MESSAGES = [
    "你好", "hello", "谢谢", "thanks!", "你是机器人吗", "are you a bot", "退货运费谁出",
    "how long does shipping take", "帮我查一下订单", "KF20231123018", "where is my order 2023112300012345",
    "转人工", "I want to talk to a person", "太差劲了，我要投诉", "给我讲个笑话", "拜拜", "bye",
]


async def send(client: httpx.AsyncClient, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    resp = await client.post(url, json={"sender": sender, "message": text})
    resp.raise_for_status()
    return time.perf_counter() - started


async def sequential(url: str, n: int) -> tuple[list[float], float]:
    async with httpx.AsyncClient(timeout=60) as client:
        await send(client, url, "warmup", "你好")
        started = time.perf_counter()
        samples = [
            await send(client, url, f"seq-{i // len(MESSAGES)}", text)
            for i, text in zip(range(n), itertools.cycle(MESSAGES), strict=False)
        ]
        return samples, time.perf_counter() - started


async def concurrent(url: str, senders: int, per_sender: int) -> tuple[list[float], float]:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=senders)) as client:

        async def one(k: int) -> list[float]:
            texts = itertools.islice(itertools.cycle(MESSAGES[k % len(MESSAGES):] + MESSAGES), per_sender)
            return [await send(client, url, f"conc-{k}", t) for t in texts]

        started = time.perf_counter()
        results = await asyncio.gather(*(one(k) for k in range(senders)))
        return [s for r in results for s in r], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--per-sender", type=int, default=25)
    parser.add_argument("--url", help="an already running Rasa server")
    args = parser.parse_args()

    url_base = args.url
    with contextlib.ExitStack() as stack:
        if url_base is None:
            url_base = stack.enter_context(kefu_on_a_kb_copy("kefu-rest-bench-")).rasa_url
        url = f"{url_base}/webhooks/rest/webhook"
        seq, seq_wall = asyncio.run(sequential(url, args.messages))
        conc, conc_wall = asyncio.run(concurrent(url, args.concurrency, args.per_sender))

    result = {
        "sequential": {**summarise_ms(seq), "replies_per_s": round(len(seq) / seq_wall, 1)},
        "concurrent": {
            **summarise_ms(conc),
            "senders": args.concurrency,
            "replies_per_s": round(len(conc) / conc_wall, 1),
        },
    }
    path = write_result("rest_latency", result)
    s, c = result["sequential"], result["concurrent"]
    print("REST reply latency")
    print(table([
        (f"sequential ({s['n']} msgs)", f"p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms  {s['replies_per_s']} replies/s"),
        (f"{args.concurrency} concurrent ({c['n']} msgs)",
         f"p50 {c['p50_ms']} ms  p95 {c['p95_ms']} ms  {c['replies_per_s']} replies/s"),
    ]))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
