"""Rasa's in-memory lock store, re-checking a busy conversation every 20 ms instead of every second.

Rasa processes one event per conversation at a time; a second event for a busy conversation (an agent's reply
arriving while the customer's last message is still being handled) waits for the lock, and Rasa's lock stores
look again only once a second. For a single process's in-memory lock a check costs nothing, so look often.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore
from rasa.utils.endpoints import EndpointConfig

DEFAULT_WAIT_S = 0.02


class QuickInMemoryLockStore(InMemoryLockStore):
    """In-memory ticket locks (one Rasa process) with a short wait between checks (`wait_s` in endpoints.yml)."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        super().__init__()
        options = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        self.wait_s = float(options.get("wait_s", kwargs.get("wait_s", DEFAULT_WAIT_S)))

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, checked every `wait_s` seconds while another event holds it."""
        async with super().lock(conversation_id, lock_lifetime, self.wait_s) as lock:
            yield lock
