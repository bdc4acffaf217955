"""Build the desk's store from Settings, once per process; the action server, console and supervisor share it."""

from __future__ import annotations

from functools import lru_cache

from desk.queue import QueueRules
from desk.store import DeskStore
from kefu.config import Settings, get_settings


def queue_rules(settings: Settings) -> QueueRules:
    """The queue's weights and service hours from settings."""
    return QueueRules(vip_boost=settings.handoff_vip_boost, request_boost=settings.handoff_request_boost,
                      wait_weight=settings.handoff_wait_weight, default_handle_s=settings.handoff_default_handle_s,
                      service_hours=settings.handoff_service_hours, service_days=settings.handoff_service_days,
                      timezone=settings.handoff_timezone, week_hours=settings.handoff_week_hours,
                      holidays=settings.handoff_holidays, sla=settings.desk_sla)


def desk_store(settings: Settings | None = None) -> DeskStore:
    """A desk store on the settings' database."""
    settings = settings or get_settings()
    return DeskStore(settings.desk_url, queue_rules(settings), settings.handoff_presence_ttl_s)


@lru_cache(maxsize=1)
def shared_store() -> DeskStore:
    """This process's one desk store on the default settings (one connection pool per process)."""
    return desk_store()
