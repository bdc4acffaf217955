"""bot/nlu_pool.py: worker processes parse as Rasa's own in-process graph does, and a killed worker is replaced
without losing the message."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.nlu_pool import NluPool

MODEL = Path(__file__).resolve().parents[2] / "models" / "rasa" / "kefu.tar.gz"
TEXTS = ["你好", "hello there", "退货运费谁出", "how long does shipping take", "帮我查一下订单 KF20231123018",
         "太差劲了，我要投诉", "/greet"]

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model: make train")


@pytest.fixture(scope="module")
def pool() -> Iterator[NluPool]:
    # No action server here: the KB router finds none and keeps Rasa's intent, in both ways of parsing.
    before = os.environ.get("KEFU_KB_SIGNAL_URL")
    os.environ["KEFU_KB_SIGNAL_URL"] = "http://127.0.0.1:9/kb/signal"  # the workers inherit it
    pool = NluPool(MODEL, workers=2)
    try:
        # Rasa serves as soon as one worker has loaded (they load one at a time); the other joins when it has.
        first = pool.wait_ready(pool.launch(), need=1)
        assert len(first) == 1
        assert parse(pool, "你好")["intent"]["name"] == "greet"
        deadline = time.monotonic() + 120
        while len(pool.loaded()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(set(pool.loaded())) == 2 and pool.loaded()[0] == first[0]
        yield pool
    finally:
        pool.close()
        if before is None:
            os.environ.pop("KEFU_KB_SIGNAL_URL", None)
        else:
            os.environ["KEFU_KB_SIGNAL_URL"] = before


def parse(pool: NluPool, text: str) -> dict:
    return asyncio.run(pool.parse(text, "m1", {"source": "test"}))


def test_workers_parse_as_rasas_own_graph(pool: NluPool) -> None:
    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    processor = Agent.load(str(MODEL)).processor
    for text in TEXTS:
        ours = parse(pool, text)
        message = UserMessage(text, message_id="m1", metadata={"source": "test"})
        rasas = processor._parse_message_with_graph(message, DialogueStateTracker.from_events("t", []))
        assert ours["intent"]["name"] == rasas["intent"]["name"], text
        assert ours["intent"]["confidence"] == pytest.approx(rasas["intent"]["confidence"], abs=1e-4)
        assert [e["entity"] for e in ours["entities"]] == [e["entity"] for e in rasas["entities"]]
        assert ours.get("sentiment") == rasas.get("sentiment"), text
        assert ours["text"] == text


def test_messages_that_queue_while_the_workers_are_busy_are_parsed_together_as_each_alone(pool: NluPool) -> None:
    alone = {text: parse(pool, text) for text in TEXTS}
    batches_before = pool.batches

    async def all_at_once() -> list:
        return list(await asyncio.gather(*(pool.parse(t, "m1", {"source": "test"}) for t in TEXTS * 3)))

    together = asyncio.run(all_at_once())
    # 21 messages at once: two go to the idle workers at once, the rest queue and go in shared runs.
    assert pool.batches - batches_before < len(TEXTS) * 3
    for text, ours in zip(TEXTS * 3, together, strict=True):
        assert ours["text"] == text
        assert ours["intent"]["name"] == alone[text]["intent"]["name"], text
        assert ours["intent"]["confidence"] == pytest.approx(alone[text]["intent"]["confidence"], abs=1e-4)
        assert ours.get("sentiment") == alone[text].get("sentiment"), text
        assert [e["entity"] for e in ours["entities"]] == [e["entity"] for e in alone[text]["entities"]]


def test_a_message_that_breaks_the_graph_fails_alone_in_its_batch(pool: NluPool) -> None:
    async def with_a_bad_one() -> list:
        jobs = [pool.parse(t, None, None) for t in ["你好", "hello", "你好", "hi", "谢谢"]]
        jobs.insert(3, pool.parse(text=["not", "a", "text"], message_id=None, metadata=None))  # type: ignore[arg-type]
        return list(await asyncio.gather(*jobs, return_exceptions=True))

    results = asyncio.run(with_a_bad_one())
    assert isinstance(results[3], Exception)
    assert [r["intent"]["name"] for i, r in enumerate(results) if i != 3] == ["greet", "greet", "greet", "greet",
                                                                              "thank"]


def test_a_killed_worker_is_replaced_and_every_message_meanwhile_still_parsed(pool: NluPool) -> None:
    executor = pool._executor
    assert executor is not None
    victim = next(iter(executor._processes))
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not executor._broken and time.monotonic() < deadline:  # the pool notices the death on its own thread
        time.sleep(0.05)
    assert executor._broken

    async def four() -> list:
        return list(await asyncio.gather(*(pool.parse(t, None, None) for t in ["你好", "hello", "你好", "hi"])))

    assert [p["intent"]["name"] for p in asyncio.run(four())] == ["greet"] * 4
    assert pool._executor is not executor


def test_closing_while_a_worker_still_loads_does_not_wait_for_it() -> None:
    pool = NluPool(MODEL, workers=2)
    first = pool.wait_ready(pool.launch(), need=1)
    assert len(pool.loaded()) == 1  # the second loads after the first (about ten seconds)
    started = time.monotonic()
    pool.close()
    assert time.monotonic() - started < 5
    for pid in first:
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
