"""The console's queue announcements: better places are told in rounds, each customer where their place settled."""

from __future__ import annotations

import asyncio
import itertools

from console.core.live import announce_positions
from desk.store import DeskStore
from tests.console.conftest import FakeRasa
from tests.console.test_api import escalate


def test_a_place_that_moves_up_and_back_within_a_round_is_not_told(store: DeskStore) -> None:
    agents = {a["username"]: a["id"] for a in store.agents()}
    first, second, third = (escalate(store, name, f) for name, f in (("first", 0.9), ("second", 0.5), ("third", 0.2)))
    for e, place in ((first, 1), (second, 2), (third, 3)):
        store.set_told_position(e["id"], place)
    rasa = FakeRasa()
    rounds_at: list[float] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        position_changes = store.position_changes

        def counted() -> list:
            rounds_at.append(loop.time())
            return position_changes()

        store.position_changes = counted  # type: ignore[method-assign]
        task = asyncio.create_task(announce_positions(store, rasa, changed, every_s=30.0,  # type: ignore[arg-type]
                                                      min_gap_s=0.4))
        changed.set()  # round one: nothing moved
        await asyncio.sleep(0.1)
        # Within the next round's gap an agent takes the first customer (second and third move up) and an angrier
        # customer arrives ahead of them (they move back): where they settle is where they were told.
        store.claim(first["id"], agents["ann"])
        changed.set()
        await asyncio.sleep(0.05)
        escalate(store, "angry", 0.8)
        changed.set()
        await asyncio.sleep(0.5)
        assert rasa.sent == []  # their places settled where they were told
        store.claim(store.active_for("angry")["id"], agents["bob"])  # now they really move up
        changed.set()
        for _ in range(100):
            await asyncio.sleep(0.02)
            if len(rasa.sent) == 2:
                break
        task.cancel()

    asyncio.run(scenario())
    assert rasa.sent == [("second", "EXTERNAL_queue_update", None), ("third", "EXTERNAL_queue_update", None)]
    assert len(rounds_at) == 3 and all(b - a >= 0.39 for a, b in itertools.pairwise(rounds_at))
