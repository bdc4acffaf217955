"""Rasa's ticket locks: in memory for one Rasa process, in Redis (atomically) for several replicas.

Rasa processes one event per conversation at a time; a second event for a busy conversation (an agent's reply
arriving while the customer's last message is still being handled) waits for the lock, and Rasa's lock stores
look again only once a second. Both stores here look every 20 ms (`wait_s` in endpoints.yml).

endpoints.yml names `KefuLockStore`, which is the in-memory store when `url` (KEFU_REDIS_URL) is empty and the
Redis store when it is set, so one configuration serves `make run` and the cluster.

Rasa's own RedisLockStore reads a conversation's whole lock, adds or removes a ticket and writes it back
(RasaHQ/rasa#9213; the fix ships only in Rasa Pro). Two replicas that do this at once for one conversation
overwrite each other's tickets, and both handle an event of that conversation at the same time: one's events
are then lost or stored twice. Here each change is one atomic Redis command or script: a ticket's number comes
from INCR, the tickets live in a sorted set (member: number, score: expiry), and finishing removes only its own
ticket, so no replica ever writes back a stale copy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
DEFAULT_WAIT_S = 0.02
KEY_PREFIX = "kefu:lock:"
# Issue a ticket atomically: the next number, the ticket in the conversation's set, both keys kept a while longer
# than the ticket (an abandoned conversation's keys vanish by themselves).
ISSUE = """
local number = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ARGV[1], number)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return number
"""


def _options(endpoint_config: Optional[EndpointConfig], kwargs: dict[str, Any]) -> dict[str, Any]:
    options = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
    options.update(kwargs)
    if endpoint_config is not None and endpoint_config.url:
        options.setdefault("url", endpoint_config.url)
    return options


class QuickRecheck(LockStore):
    """Rasa's ticket lock, checked every `wait_s` seconds (not every second) while another event holds it."""

    wait_s: float = DEFAULT_WAIT_S

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, checked every `wait_s` seconds while another event holds it."""
        async with super().lock(conversation_id, lock_lifetime, self.wait_s) as lock:
            yield lock


class QuickInMemoryLockStore(QuickRecheck, InMemoryLockStore):
    """In-memory ticket locks (one Rasa process) with a short wait between checks (`wait_s` in endpoints.yml)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        super().__init__()
        self.wait_s = float(_options(endpoint_config, kwargs).get("wait_s", DEFAULT_WAIT_S))


class RedisTicketLockStore(QuickRecheck):
    """Ticket locks in Redis shared by Rasa replicas, each change one atomic command (see the module's note)."""

    def __init__(self, url: str, wait_s: float = DEFAULT_WAIT_S, socket_timeout: float = 10.0) -> None:
        import redis

        self.red = redis.Redis.from_url(url, socket_timeout=socket_timeout, health_check_interval=30)
        self.wait_s = float(wait_s)
        self._issue = self.red.register_script(ISSUE)
        super().__init__()

    @staticmethod
    def _keys(conversation_id: str) -> tuple[str, str]:
        return KEY_PREFIX + conversation_id, KEY_PREFIX + conversation_id + ":n"

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        """The conversation's unexpired tickets, in the order they were issued; None when there are none."""
        tickets_key, _ = self._keys(conversation_id)
        now = time.time()
        tickets = sorted(
            (Ticket(int(member), float(expires)) for member, expires in
             self.red.zrange(tickets_key, 0, -1, withscores=True) if float(expires) >= now),
            key=lambda t: t.number,
        )
        return TicketLock(conversation_id, deque(tickets)) if tickets else None

    def delete_lock(self, conversation_id: str) -> None:
        """Forget the conversation's tickets and numbering."""
        self.red.delete(*self._keys(conversation_id))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's tickets with the lock's (atomically; Rasa's own flow never needs this)."""
        tickets_key, _ = self._keys(lock.conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(tickets_key)
            if lock.tickets:
                pipe.zadd(tickets_key, {str(t.number): t.expires for t in lock.tickets})
            pipe.execute()

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket, numbered after every ticket issued before it for this conversation."""
        try:
            keep_ms = int((lock_lifetime + 60) * 1000)
            return int(self._issue(keys=list(self._keys(conversation_id)),
                                   args=[time.time() + lock_lifetime, keep_ms]))
        except Exception as exc:  # Rasa expects LockError from a lock store that fails
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets (one command)."""
        self.red.zremrangebyscore(self._keys(conversation_id)[0], "-inf", time.time())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove this ticket only; Redis deletes the set with its last member."""
        self.red.zrem(self._keys(conversation_id)[0], str(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish serving; never delete the set, which another replica may just have added a ticket to.

        The message is handled and stored by now: when Redis cannot take the release (restarting), the message
        must not fail for it (its customer would send it again, and it would be stored twice). The release is
        tried again in the background for a while, so the conversation's next message does not wait for the
        ticket to expire."""
        try:
            self.finish_serving(conversation_id, ticket_number)
        except Exception as exc:  # redis-py's connection errors
            logger.warning("ticket %s of %s not released (%s); trying again in the background", ticket_number,
                           conversation_id, exc)
            threading.Thread(target=self._release_later, args=(conversation_id, ticket_number),
                             name="kefu-lock-release", daemon=True).start()

    def _release_later(self, conversation_id: str, ticket_number: int, for_s: float = 30.0) -> None:
        deadline = time.monotonic() + for_s
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                self.finish_serving(conversation_id, ticket_number)
                return
            except Exception:  # still away; the ticket's own expiry is the last resort
                continue


class KefuLockStore(LockStore):
    """The lock store endpoints.yml names: Redis ticket locks when `url` is set (replicas), else in memory."""

    def __new__(cls, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> Any:  # noqa: D102
        options = _options(endpoint_config, kwargs)
        wait_s = float(options.get("wait_s", DEFAULT_WAIT_S))
        url = str(options.get("url") or "").strip()
        if url:
            return RedisTicketLockStore(url, wait_s=wait_s)
        return QuickInMemoryLockStore(wait_s=wait_s)
