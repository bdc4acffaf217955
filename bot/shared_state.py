"""Small state the channels keep between requests, shared by Rasa replicas through Redis when KEFU_REDIS_URL is set.

WeChat retries a message that was not answered within 5 s, and the retry may reach another replica; the numbered
choices a customer was offered must be found by whichever replica receives the number. With one Rasa process
(KEFU_REDIS_URL empty) this lives in the process's memory. Redis is asked through its asyncio client, so a slow or
restarting Redis never blocks the event loop; when it cannot be reached, a message is processed rather than lost
(a retry may then be answered twice) and a number goes to the NLU as text.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict
from typing import Any, Optional

logger = logging.getLogger(__name__)
PREFIX = "kefu:state:"
MEMORY_LIMIT = 100_000  # keys kept in memory at most (the oldest go first)
REDIS_TIMEOUT_S = 2.0


class SharedState:
    """Keys with a lifetime: set once (de-duplication), JSON values (choices). In memory, or in Redis."""

    def __init__(self, url: str = "") -> None:
        self.url = url.strip()
        self._memory: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._redis: Any = None
        if self.url:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)

    @classmethod
    def from_env(cls) -> SharedState:
        """Redis at KEFU_REDIS_URL when it is set (replicas), else this process's memory."""
        return cls(os.environ.get("KEFU_REDIS_URL", ""))

    @property
    def shared(self) -> bool:
        """Whether other processes see this state (Redis)."""
        return self._redis is not None

    def _live(self, key: str) -> Optional[Any]:
        entry = self._memory.get(key)
        if entry is None or entry[0] < time.monotonic():
            self._memory.pop(key, None)
            return None
        return entry[1]

    def _store(self, key: str, value: Any, ttl_s: float) -> None:
        self._memory[key] = (time.monotonic() + ttl_s, value)
        self._memory.move_to_end(key)
        while len(self._memory) > MEMORY_LIMIT:
            self._memory.popitem(last=False)

    async def first_time(self, key: str, ttl_s: float) -> bool:
        """True for the first call with this key within `ttl_s`, in any replica (also when Redis is away)."""
        if self._redis is None:
            if self._live(key) is not None:
                return False
            self._store(key, True, ttl_s)
            return True
        try:
            return bool(await self._redis.set(PREFIX + key, "1", nx=True, ex=max(1, int(ttl_s))))
        except Exception as exc:  # Redis away: process the message (a retry may be answered twice, none is lost)
            logger.warning("Redis unavailable for de-duplication (%s): processing %s", exc, key)
            return True

    async def put(self, key: str, value: Any, ttl_s: float) -> None:
        """Keep a JSON-serialisable value for `ttl_s` seconds."""
        if self._redis is None:
            self._store(key, value, ttl_s)
            return
        try:
            await self._redis.set(PREFIX + key, json.dumps(value, ensure_ascii=False), ex=max(1, int(ttl_s)))
        except Exception as exc:
            logger.warning("Redis unavailable, %s not kept: %s", key, exc)

    async def get(self, key: str) -> Optional[Any]:
        """The value kept under `key`, or None (also when Redis is away)."""
        if self._redis is None:
            return self._live(key)
        try:
            raw = await self._redis.get(PREFIX + key)
        except Exception as exc:
            logger.warning("Redis unavailable, %s not read: %s", key, exc)
            return None
        return None if raw is None else json.loads(raw)

    async def delete(self, key: str) -> None:
        """Forget `key`."""
        if self._redis is None:
            self._memory.pop(key, None)
            return
        try:
            await self._redis.delete(PREFIX + key)
        except Exception as exc:
            logger.warning("Redis unavailable, %s not deleted: %s", key, exc)
