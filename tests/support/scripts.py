"""The scripted escalation conversations (conversations.yml) and a player that runs them against a live Kefu."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from kefu.config import Settings

SCRIPTS = Path(__file__).resolve().parent / "conversations.yml"


@dataclass
class Outcome:
    """What happened in one scripted conversation."""

    id: str
    lang: str
    tier: str
    escalate: bool
    by_turn: int | None
    handoff_turn: int | None
    frustration: list[float] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    reason: str | None = None

    @property
    def passed(self) -> bool:
        """Escalated by the scripted turn when it must; never when it must not."""
        if not self.escalate:
            return self.handoff_turn is None
        return self.handoff_turn is not None and self.handoff_turn <= (self.by_turn or 10**6)


def load(path: Path = SCRIPTS) -> list[dict[str, Any]]:
    """The conversations from the YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    conversations: list[dict[str, Any]] = data["conversations"]
    return conversations


def tracker_json(settings: Settings, sender: str) -> dict[str, Any]:
    """The conversation's tracker from Rasa's HTTP API."""
    resp = httpx.get(
        f"{settings.rasa_url}/conversations/{sender}/tracker", params={"token": settings.auth_token()}, timeout=30
    )
    resp.raise_for_status()
    tracker: dict[str, Any] = resp.json()
    return tracker


def play(settings: Settings, conversation: dict[str, Any]) -> Outcome:
    """Send the customer's turns over REST (tier as message metadata); note the turn of the first hand-over."""
    sender = f"script-{conversation['id']}-{uuid.uuid4().hex[:8]}"
    tier = conversation.get("tier", "regular")
    outcome = Outcome(
        id=conversation["id"], lang=conversation.get("lang", ""), tier=tier, escalate=bool(conversation["escalate"]),
        by_turn=conversation.get("by_turn"), handoff_turn=None,
    )
    for number, text in enumerate(conversation["turns"], start=1):
        resp = httpx.post(
            f"{settings.rasa_url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": {"customer_tier": tier}}, timeout=60,
        )
        resp.raise_for_status()
        outcome.replies.append(" | ".join(m.get("text", "") for m in resp.json()))
        tracker = tracker_json(settings, sender)
        outcome.frustration.append(float(tracker["slots"].get("frustration") or 0.0))
        handed = any(e.get("event") == "action" and e.get("name") == "action_handoff" for e in tracker["events"])
        if handed:
            outcome.handoff_turn = number
            outcome.reason = tracker["slots"].get("handoff_reason")
            break
    return outcome
