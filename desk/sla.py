"""Service-level clocks: each hand-over's level and its deadlines (kefu/sla.py spells the targets).

Three clocks run per hand-over, in wall-clock time from the moments the desk stores:
- first response: from the hand-over until an agent's first reply;
- next response: from the oldest customer message since the agent's last reply until the next reply (only once the
  conversation has had a first response);
- resolution: from the hand-over until it is resolved.
A level (urgent for VIP customers, high for a frustrated one or one the bot handed over for frustration, normal
otherwise) picks the targets, which admins set per level; settings give the defaults.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kefu.sla import DEFAULT_SPEC, LEVELS, Targets, parse_targets

__all__ = ["DEFAULT_SPEC", "KINDS", "LEVELS", "Targets", "deadlines", "level_of", "parse_targets"]
KINDS = ("first_response", "next_response", "resolution")
HIGH_FRUSTRATION = 0.6

def level_of(tier: str, trigger: str, frustration: float) -> str:
    """Urgent for VIP customers, high for frustrated ones, normal otherwise."""
    if tier == "vip":
        return "urgent"
    if trigger == "frustration" or frustration >= HIGH_FRUSTRATION:
        return "high"
    return "normal"


def deadlines(targets: Targets, status: str, created_at: datetime, first_response_at: datetime | None,
              awaiting_since: datetime | None) -> dict[str, datetime | None]:
    """When each clock that is still running runs out (None: that clock is not running)."""
    active = status in ("waiting", "claimed")
    return {
        "first_response": created_at + timedelta(seconds=targets.first_response_s)
        if active and first_response_at is None else None,
        "next_response": awaiting_since + timedelta(seconds=targets.next_response_s)
        if active and first_response_at is not None and awaiting_since is not None else None,
        "resolution": created_at + timedelta(seconds=targets.resolution_s) if active else None,
    }
