"""The quick in-memory lock store: events of one conversation run one at a time, and a waiting event gets the
lock within milliseconds of its release (Rasa's own store checks once a second)."""

from __future__ import annotations

import asyncio
import time

from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import QuickInMemoryLockStore


def test_endpoints_config_builds_it_and_a_waiter_gets_the_lock_quickly() -> None:
    store = LockStore.create(EndpointConfig(type="bot.lock_store.QuickInMemoryLockStore", wait_s=0.01))
    assert isinstance(store, QuickInMemoryLockStore) and store.wait_s == 0.01
    order: list[str] = []

    async def first() -> None:
        async with store.lock("c1"):
            order.append("first in")
            await asyncio.sleep(0.1)
            order.append("first out")

    async def second() -> float:
        await asyncio.sleep(0.01)
        started = time.monotonic()
        async with store.lock("c1"):
            order.append("second in")
            return time.monotonic() - started

    async def both() -> float:
        _, waited = await asyncio.gather(first(), second())
        return waited

    waited = asyncio.run(both())
    assert order == ["first in", "first out", "second in"]
    assert waited < 0.3  # Rasa's InMemoryLockStore would wait a whole second
