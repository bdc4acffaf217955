"""Live desk: tails the desk_events table and fans each change out to every open desk, and keeps the bot in step.

The table is the only channel between processes (action server, every console replica), so a restarted console
loses nothing: it starts tailing from the newest event and desks reload what they show when they reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import Any

from console.core.rasa import RasaClient
from desk.errors import DeskError
from desk.store import DeskStore

logger = logging.getLogger(__name__)


class Broadcaster:
    """Subscribers are the SSE streams of open desks; each gets every desk event once."""

    def __init__(self, store: DeskStore, poll_s: float = 0.1) -> None:
        self.store = store
        self.poll_s = poll_s
        self.subscribers: set[asyncio.Queue[tuple[int, str, dict[str, Any]]]] = set()
        self.last_id = 0
        self.changed = asyncio.Event()
        # Set with `changed`, for the auto-assignment loop (each loop clears its own).
        self.queue_changed = asyncio.Event()

    def subscribe(self) -> asyncio.Queue[tuple[int, str, dict[str, Any]]]:
        """A queue that receives every event from now on."""
        queue: asyncio.Queue[tuple[int, str, dict[str, Any]]] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[tuple[int, str, dict[str, Any]]]) -> None:
        """Stop sending to this queue."""
        self.subscribers.discard(queue)

    async def run(self) -> None:
        """Poll the event table forever (a cheap indexed query) and publish what is new."""
        self.last_id = await asyncio.to_thread(self.store.last_event_id)
        while True:
            try:
                events = await asyncio.to_thread(self.store.events_after, self.last_id)
            except Exception as exc:  # the database may be briefly locked or restarting: keep tailing
                logger.warning("desk events not read: %s", exc)
                await asyncio.sleep(1.0)
                continue
            for event in events:
                self.last_id = event[0]
                if event[1] == "escalation":
                    self.changed.set()
                    self.queue_changed.set()
                for queue in list(self.subscribers):
                    if queue.full():  # a desk that stopped reading: drop it, it reloads on reconnect
                        self.subscribers.discard(queue)
                    else:
                        queue.put_nowait(event)
            if not events:
                await asyncio.sleep(self.poll_s)


async def redeliver(store: DeskStore, rasa: RasaClient, after_s: float) -> None:
    """Send again agent replies the bot has not delivered (Rasa or the action server was down); forever."""
    while True:
        await asyncio.sleep(1.0)
        try:
            pending = await asyncio.to_thread(store.undelivered, after_s)
        except Exception as exc:
            logger.warning("undelivered replies not read: %s", exc)
            continue
        for message_id, conversation_id in pending:
            await asyncio.to_thread(store.count_attempt, message_id)
            try:
                await rasa.trigger(conversation_id, "EXTERNAL_agent_reply", {"desk_message_id": message_id})
            except DeskError as exc:
                logger.warning("agent reply %s still not delivered: %s", message_id, exc)
                break  # Rasa is down: try the rest next round


async def tell_queue_state(rasa: RasaClient, escalations: list[dict[str, Any]]) -> None:
    """Have the bot tell each customer where their hand-over stands (their place, or who joined); a failure is
    logged and the next change tells them again."""
    for escalation in escalations:
        try:
            await rasa.trigger(escalation["conversation_id"], "EXTERNAL_queue_update")
        except DeskError as exc:
            logger.warning("queue update for %s not sent: %s", escalation["conversation_id"], exc)


async def announce_positions(store: DeskStore, rasa: RasaClient, changed: asyncio.Event,
                             every_s: float = 15.0, min_gap_s: float = 10.0) -> None:
    """Tell waiting customers their new place when the queue changes (and periodically, as waiting shifts it), in
    rounds at least `min_gap_s` apart."""
    # In a busy hour every arrival, claim and resolve moves the places behind it: a customer whose place goes 5, 6,
    # 5 within seconds should hear where it settles, not each step, and each message told costs the bot a turn.
    loop = asyncio.get_running_loop()
    last_round = -math.inf
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout=every_s)
        await asyncio.sleep(max(0.0, last_round + min_gap_s - loop.time()))
        changed.clear()
        last_round = loop.time()
        try:
            moves = await asyncio.to_thread(store.position_changes)
        except Exception as exc:
            logger.warning("queue positions not computed: %s", exc)
            continue
        await tell_queue_state(rasa, [escalation for escalation, _told in moves])


async def auto_assign(store: DeskStore, rasa: RasaClient, changed: asyncio.Event, every_s: float = 2.0,
                      reassign_after_s: float = 180.0) -> None:
    """Give waiting hand-overs to online agents with room whenever the queue changes, and every `every_s` (an agent
    who comes online or frees up changes no escalation), after taking back those whose agent has not answered within
    `reassign_after_s`. Each customer assigned hears who joined, as after a claim; one put back and not assigned
    again at once hears their place in the queue."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout=every_s)
        changed.clear()
        try:
            back = await asyncio.to_thread(store.reclaim_unanswered, reassign_after_s)
            assigned = await asyncio.to_thread(store.assign_waiting)
        except Exception as exc:  # the database may be briefly locked or restarting: try again next round
            logger.warning("waiting hand-overs not assigned: %s", exc)
            continue
        given = {e["id"] for e in assigned}
        await tell_queue_state(rasa, assigned + [e for e in back if e["id"] not in given])


async def watch_sla(store: DeskStore, every_s: float = 5.0) -> None:
    """Record SLA deadlines that pass (first response, next response, resolution), forever; each is stored once
    whichever console sees it first, and its desk events turn it red on every desk."""
    while True:
        await asyncio.sleep(every_s)
        try:
            found = await asyncio.to_thread(store.check_sla)
        except Exception as exc:  # the database may be briefly locked or restarting: look again next round
            logger.warning("SLA deadlines not checked: %s", exc)
            continue
        for breach in found:
            logger.info("SLA breach: hand-over %s missed its %s deadline (%s)", breach["escalation_id"],
                        breach["kind"].replace("_", " "), breach["due_at"])
