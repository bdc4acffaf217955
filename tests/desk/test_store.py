from concurrent.futures import ThreadPoolExecutor

import pytest

from desk.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from desk.store import DeskStore
from tests.desk.conftest import escalate


def agent(store: DeskStore, name: str) -> int:
    return int(store.create_agent(name, display_name=name.title(), role="agent", password_hash="not-a-real-hash")["id"])


def test_one_active_escalation_per_conversation(store: DeskStore) -> None:
    first = escalate(store, "c1")
    again, new = store.create_escalation(
        "c1", channel="socketio", language="zh", tier="regular", trigger="request", reason="again", frustration=0.9,
        summary={})
    assert not new and again["id"] == first["id"]
    assert store.cancel("c1")["status"] == "cancelled"
    assert escalate(store, "c1")["id"] != first["id"]


def test_queue_is_ordered_by_priority_with_positions(store: DeskStore) -> None:
    calm = escalate(store, "calm", frustration=0.1)
    angry = escalate(store, "angry", frustration=0.9)
    vip = escalate(store, "vip", frustration=0.1, tier="vip")
    queue = store.queue()
    assert [e["id"] for e in queue] == [angry["id"], vip["id"], calm["id"]]
    assert [e["position"] for e in queue] == [1, 2, 3]
    store.claim(angry["id"], agent(store, "ann"))
    assert store.positions() == {vip["id"]: 1, calm["id"]: 2}
    assert store.queue()[-1]["status"] == "claimed"


def test_positions_are_the_queues_order_and_each_escalation_carries_its_own(store: DeskStore) -> None:
    """positions() reads only the ordering columns; it must rank exactly as the full queue does, ties included."""
    import random

    rng = random.Random(7)
    made = [escalate(store, f"p{i}", frustration=rng.choice([0.1, 0.5, 0.5, 0.9]),
                     tier=rng.choice(["regular", "vip"])) for i in range(12)]
    store.claim(made[3]["id"], agent(store, "bo"))
    queue = {e["id"]: e["position"] for e in store.queue() if e["status"] == "waiting"}
    assert store.positions() == queue and sorted(queue.values()) == list(range(1, 12))
    for e in made:
        assert store.get_escalation(e["id"])["position"] == queue.get(e["id"])  # None once claimed


def test_claiming_is_race_free(store: DeskStore) -> None:
    escalation = escalate(store, "race")
    agents = [agent(store, f"agent{i}") for i in range(8)]

    def claim(agent_id: int) -> str:
        try:
            store.claim(escalation["id"], agent_id)
            return "won"
        except ConflictError:
            return "lost"

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(claim, agents))
    assert results.count("won") == 1
    winner = agents[results.index("won")]
    assert store.get_escalation(escalation["id"])["agent"]["id"] == winner


def test_only_the_claiming_agent_replies_transfers_or_resolves(store: DeskStore) -> None:
    escalation = escalate(store, "owned")
    ann, bob, cat = agent(store, "ann"), agent(store, "bob"), agent(store, "cat")
    with pytest.raises(ConflictError, match="claim it first"):
        store.add_agent_message(escalation["id"], ann, "hello")
    store.claim(escalation["id"], ann)
    for act in (
        lambda: store.add_agent_message(escalation["id"], bob, "hi"),
        lambda: store.resolve(escalation["id"], bob),
        lambda: store.transfer(escalation["id"], bob, bob),
    ):
        with pytest.raises(ForbiddenError, match="claimed by Ann"):
            act()
    moved = store.transfer(escalation["id"], ann, bob)
    assert moved["agent"]["display_name"] == "Bob"
    assert store.add_agent_message(escalation["id"], bob, "Bob here")["agent_name"] == "Bob"
    with pytest.raises(ForbiddenError):
        store.add_agent_message(escalation["id"], ann, "still me?")
    with pytest.raises(NotFoundError):
        store.transfer(escalation["id"], bob, 999)
    assert store.resolve(escalation["id"], bob)["status"] == "resolved"
    with pytest.raises(ConflictError):
        store.claim(escalation["id"], cat)


def test_agent_replies_are_delivered_once_and_retried_until_then(store: DeskStore) -> None:
    escalation = escalate(store, "deliver")
    ann = agent(store, "ann")
    store.claim(escalation["id"], ann)
    message = store.add_agent_message(escalation["id"], ann, "<script>alert(1)</script>")
    assert message["text"] == "<script>alert(1)</script>" and not message["delivered"]
    assert store.undelivered(older_than_s=-1) == [(message["id"], "deliver")]
    assert store.mark_delivered(message["id"]) is True
    assert store.mark_delivered(message["id"]) is False  # a retried delivery does not speak twice
    assert store.undelivered(older_than_s=-1) == []
    with pytest.raises(InvalidInputError):
        store.add_agent_message(escalation["id"], ann, "   ")


def test_customer_messages_are_stored_once_per_rasa_message(store: DeskStore) -> None:
    escalation = escalate(store, "relay")
    first = store.add_customer_message(
        "relay", "where is it?", sentiment={"label": "negative", "score": 0.8}, frustration=0.4, source_id="m1"
    )
    again = store.add_customer_message("relay", "where is it?", sentiment=None, frustration=None, source_id="m1")
    assert first is not None and again is not None and again["id"] == first["id"]
    assert [m["text"] for m in store.detail(escalation["id"])["messages"]] == ["where is it?"]
    assert store.add_customer_message("nobody", "hello", sentiment=None, frustration=None, source_id="m2") is None


def test_ratings_belong_to_the_resolved_escalation_and_its_agent(store: DeskStore) -> None:
    escalation = escalate(store, "rate")
    ann = agent(store, "ann")
    store.claim(escalation["id"], ann)
    store.resolve(escalation["id"], ann)
    rating = store.record_rating("rate", 4)
    assert rating["agent_id"] == ann and rating["escalation_id"] == escalation["id"]
    assert store.record_rating("rate", 5)["id"] == rating["id"]  # changed their mind: one rating, the new score
    assert store.add_rating_comment("rate", "quick and kind")
    assert store.record_nps("rate", 9) and not store.record_nps("nobody", 9)
    with pytest.raises(InvalidInputError):
        store.record_nps("rate", 11)
    assert store.ratings()[0] | {"created_at": None} == {
        "id": rating["id"],
        "conversation_id": "rate",
        "escalation_id": escalation["id"],
        "agent_id": ann,
        "score": 5,
        "nps": 9,
        "comment": "quick and kind",
        "created_at": None,
    }
    with pytest.raises(InvalidInputError):
        store.record_rating("rate", 6)


def test_tickets_notes_and_the_event_feed(store: DeskStore) -> None:
    start = store.last_event_id()
    ticket = store.create_ticket(
        "t1", channel="wechat", language="en", message="call me about my refund", contact="+86 138 0000 0000"
    )
    escalation = escalate(store, "noted")
    ann = agent(store, "ann")
    note = store.add_note(escalation["id"], ann, "VIP, be quick")
    closed = store.close_ticket(ticket["id"], ann)
    kinds = [(kind, payload.get("id")) for _, kind, payload in store.events_after(start)]
    assert kinds == [
        ("ticket", ticket["id"]),
        ("escalation", escalation["id"]),
        ("note", note["id"]),
        ("ticket", ticket["id"]),
    ]
    assert closed["status"] == "closed" and store.tickets("open") == []


def test_sessions_and_presence(store: DeskStore) -> None:
    ann = agent(store, "ann")
    token, csrf = store.create_login(ann, hours=1)
    login = store.login_for(token)
    assert login is not None and login[0]["username"] == "ann" and login[1] == csrf
    assert store.login_for("forged") is None
    assert store.agents_online() == 0
    store.set_presence(ann, "online")
    assert store.agents_online() == 1 and store.agents()[0]["online"]
    store.set_presence(ann, "away")
    assert store.agents_online() == 0
    store.set_password_hash("ann", "new-hash")  # signs out everywhere
    assert store.login_for(token) is None
    with pytest.raises(ConflictError):
        store.create_agent("ann", display_name="Ann", role="agent", password_hash="x")
    with pytest.raises(InvalidInputError):
        store.create_agent("zed", display_name="Zed", role="boss", password_hash="x")


def test_position_changes_list_customers_now_ahead_of_the_place_told(store: DeskStore) -> None:
    a, b, c = (escalate(store, name, frustration=f) for name, f in (("a", 0.9), ("b", 0.5), ("c", 0.2)))
    never_told = escalate(store, "d", frustration=0.1)
    for e, place in ((a, 1), (b, 2), (c, 3)):
        store.set_told_position(e["id"], place)
    assert store.position_changes() == []

    angry = escalate(store, "angry", frustration=0.8)  # ahead of b and c: a worse place is no news
    assert store.positions()[c["id"]] == 4 and store.position_changes() == []
    store.claim(a["id"], agent(store, "bo"))
    store.claim(angry["id"], agent(store, "cy"))
    moves = store.position_changes()
    assert [(e["conversation_id"], e["position"], told) for e, told in moves] == [("b", 1, 2), ("c", 2, 3)]
    assert all(e["status"] == "waiting" and e["channel"] == "socketio" for e, _ in moves)
    assert never_told["id"] not in {e["id"] for e, _ in moves}  # its place was never said: nothing to correct
    store.set_told_position(b["id"], 1)
    assert [e["conversation_id"] for e, _ in store.position_changes()] == ["c"]
