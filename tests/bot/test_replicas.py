"""What Rasa replicas share through Redis (a real redis-server on loopback): ticket locks that never let two
replicas handle one conversation at once, WeChat retries processed once by whichever replica gets them, numbered
choices found by any replica, and honest fall-backs while Redis is away."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import KefuLockStore, QuickInMemoryLockStore, RedisTicketLockStore
from bot.shared_state import SharedState
from tests.bot.test_wechat import Bot, channel, signed, text_xml
from tests.support.redis_server import free_port, redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def test_endpoints_config_picks_redis_only_when_a_url_is_set(redis_url: str) -> None:
    memory = LockStore.create(EndpointConfig(type="bot.lock_store.KefuLockStore", url="", wait_s=0.01))
    assert isinstance(memory, QuickInMemoryLockStore) and memory.wait_s == 0.01
    shared = LockStore.create(EndpointConfig(type="bot.lock_store.KefuLockStore", url=redis_url, wait_s=0.01))
    assert isinstance(shared, RedisTicketLockStore) and shared.wait_s == 0.01
    assert isinstance(KefuLockStore(url=redis_url), RedisTicketLockStore)


def test_rasas_own_redis_store_loses_a_ticket_when_two_replicas_interleave(redis_url: str) -> None:
    """The race this module guards against (RasaHQ/rasa#9213), shown step by step on Rasa's RedisLockStore."""
    host, port = redis_url.removeprefix("redis://").split("/")[0].split(":")
    a, b = RedisLockStore(host=host, port=int(port), db=2), RedisLockStore(host=host, port=int(port), db=2)
    a.delete_lock("race")
    stale = a.get_or_create_lock("race")  # replica A reads the lock…
    ticket_b = b.issue_ticket("race")  # …replica B issues a ticket and saves…
    ticket_a = stale.issue_ticket(60)
    a.save_lock(stale)  # …and A writes back its stale copy: B's ticket is gone
    lock = a.get_lock("race")
    assert lock is not None and ticket_a == ticket_b == 0
    assert not lock.is_locked(ticket_a) and not lock.is_locked(ticket_b)  # both "hold" the lock


def test_tickets_are_atomic_across_replicas_under_threads(redis_url: str) -> None:
    """Four replicas (own clients, own threads and event loops) handle 25 events each of one conversation: never
    two at once, every event handled."""
    inside, most, done = [0], [0], []
    guard = threading.Lock()

    def replica(name: str) -> None:
        store = RedisTicketLockStore(redis_url, wait_s=0.002)

        async def events() -> None:
            for k in range(25):
                async with store.lock("busy-conversation"):
                    with guard:
                        inside[0] += 1
                        most[0] = max(most[0], inside[0])
                    await asyncio.sleep(0.001)
                    with guard:
                        inside[0] -= 1
                        done.append((name, k))

        asyncio.run(events())

    threads = [threading.Thread(target=replica, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert most[0] == 1 and len(done) == 100
    assert RedisTicketLockStore(redis_url).get_lock("busy-conversation") is None  # nothing left behind


def test_a_replica_that_died_holding_a_lock_frees_it_when_its_ticket_expires(redis_url: str) -> None:
    dead, alive = RedisTicketLockStore(redis_url), RedisTicketLockStore(redis_url, wait_s=0.01)
    dead.issue_ticket("orphan", lock_lifetime=0.3)  # never finished: its replica was killed

    async def next_event() -> float:
        started = time.monotonic()
        async with alive.lock("orphan"):
            return time.monotonic() - started

    waited = asyncio.run(next_event())
    assert 0.2 < waited < 2.0


def test_shared_state_is_seen_by_every_replica(redis_url: str) -> None:
    async def both() -> list[Any]:
        a, b = SharedState(redis_url), SharedState(redis_url)
        first = await a.first_time("msg-1", 60)
        again = await b.first_time("msg-1", 60)
        await a.put("choices:u1", ["/affirm", "/deny"], 60)
        return [first, again, await b.get("choices:u1")]

    assert asyncio.run(both()) == [True, False, ["/affirm", "/deny"]]


def test_without_redis_a_message_is_processed_and_a_number_is_plain_text() -> None:
    async def away() -> list[Any]:
        state = SharedState(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
        await state.put("choices:u1", ["/affirm"], 60)
        return [await state.first_time("msg-2", 60), await state.first_time("msg-2", 60), await state.get("x")]

    assert asyncio.run(away()) == [True, True, None]


def test_a_wechat_retry_on_another_replica_is_processed_once_and_choices_travel(redis_url: str,
                                                                              monkeypatch: Any) -> None:
    monkeypatch.setenv("KEFU_REDIS_URL", redis_url)
    first, second, bot = channel(), channel(), Bot()  # two replicas' channels

    async def retry_elsewhere() -> list[str]:
        answered = (await first.handle(text_xml("你好", msg_id="77001"), signed(), bot))[1]
        retried = (await second.handle(text_xml("你好", msg_id="77001"), signed(), bot))[1]
        await first.choices.offer("o-user", ["/affirm", "/deny"])
        picked = await second.choices.pick("o-user", "2")
        return [answered, retried, picked]

    answered, retried, picked = asyncio.run(retry_elsewhere())
    assert "您好: 你好" in answered and retried == "success" and picked == "/deny"
    assert [m.text for m in bot.seen] == ["你好"]


def test_a_release_redis_cannot_take_does_not_fail_the_message_and_is_tried_again(redis_url: str) -> None:
    """The message is stored by the time its ticket is released: a Redis restart then must not turn it into an
    error (its customer would resend it, and it would be stored twice)."""
    store = RedisTicketLockStore(redis_url)
    ticket = store.issue_ticket("release", lock_lifetime=60)
    calls: list[int] = []
    release = store.finish_serving

    def flaky(conversation_id: str, number: int) -> None:
        calls.append(number)
        if len(calls) == 1:
            raise ConnectionError("Redis is restarting")
        release(conversation_id, number)

    store.finish_serving = flaky  # type: ignore[method-assign]
    store.cleanup("release", ticket)  # no error
    deadline = time.monotonic() + 5
    while store.get_lock("release") is not None:
        assert time.monotonic() < deadline, "the ticket was never released"
        time.sleep(0.1)
    assert calls == [ticket, ticket]
