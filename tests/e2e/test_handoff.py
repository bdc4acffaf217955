"""End to end with the real Rasa, action and console servers: a socket.io customer asks for a person, an agent on
the desk's API claims, replies, and resolves; the customer rates. Restarts of the action server and the console
in the middle of the hand-over lose no message."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from console.core.security import hash_password
from desk.service import desk_store
from desk.store import DeskStore
from kefu.config import Settings
from kefu.serve import Supervisor
from tests.e2e.conftest import start_server, stop_server
from tests.support.clients import Agent, Customer
from tests.support.files import image

PASSWORD = "e2e-password-1"


@pytest.fixture(scope="module")
def store(kefu: Settings) -> DeskStore:
    return desk_store(kefu)


@pytest.fixture(scope="module")
def agent(kefu: Settings, store: DeskStore) -> Iterator[Agent]:
    if store.credentials("e2e-ann") is None:
        store.create_agent("e2e-ann", display_name="Ann", role="agent", password_hash=hash_password(PASSWORD))
    agent = Agent(kefu.console_url, "e2e-ann", PASSWORD)
    agent.call("POST", "/api/presence", json={"status": "online"})
    yield agent
    # Later tests expect nobody online (the "leave a message" path).
    agent.call("POST", "/api/presence", json={"status": "away"})
    agent.close()


@pytest.mark.embedded_only  # stops the embedded default's action server and console by name
def test_request_claim_reply_relay_resolve_and_rate(kefu_servers: tuple[Settings, Supervisor], agent: Agent,
                                                    store: DeskStore) -> None:
    settings, supervisor = kefu_servers
    customer = Customer(settings.rasa_url)
    try:
        customer.say("你好")
        customer.wait_for(lambda t: "您好" in t)
        customer.say("转人工")
        _, queued = customer.wait_for(lambda t: "前面还有 0 位" in t)
        assert queued["metadata"]["handoff"] | {"eta_min": 0} == {"state": "waiting", "position": 1, "eta_min": 0}
        escalation = agent.escalation_of(customer.session_id)
        assert escalation["status"] == "waiting" and escalation["trigger"] == "request"
        assert escalation["summary"]["last_messages"][0] | {"at": None, "sentiment": None} == {
            "role": "customer", "text": "你好", "at": None, "sentiment": None}

        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")
        customer.wait_for(lambda t: "Ann" in t and "已接入" in t, after=seen)

        seen = len(customer.messages)
        reply = agent.call("POST", f"/api/escalations/{escalation['id']}/reply",
                           json={"text": "您好，我是 Ann，我来帮您看一下。"})
        _, said = customer.wait_for(lambda t: "我是 Ann" in t, after=seen)
        agent.wait_event("message", lambda m: m["id"] == reply["id"] and m["delivered"])

        # The customer's words go to the desk live, and the bot says nothing.
        seen, events = len(customer.messages), len(agent.events)
        customer.say("我的订单 KF20231123018 还没到")
        _, relayed = agent.wait_event("message", lambda m: m["role"] == "customer" and "KF20231123018" in m["text"],
                                      after=events)
        assert relayed["escalation_id"] == escalation["id"] and relayed["sentiment"]["label"]
        customer.say("还要等多久?")  # a queue question is answered even with an agent: who is with them
        customer.wait_for(lambda t: "Ann" in t, after=seen)
        assert not any("订单号" in m.get("text", "") for _, m in customer.messages[seen:])

        # The action server restarts mid-hand-over: the message sent while it was down still reaches the desk.
        stop_server(supervisor, "actions")
        customer.say("喂，还在吗？")
        start_server(supervisor, "actions")
        customer.say("我等着呢")
        agent.wait_event("message", lambda m: m["text"] == "我等着呢", after=events)
        texts = [m["text"] for m in store.detail(escalation["id"])["messages"] if m["role"] == "customer"]
        assert texts.index("喂，还在吗？") < texts.index("我等着呢")

        # A reply the bot could not deliver (action server down) is delivered once it is back.
        stop_server(supervisor, "actions")
        seen = len(customer.messages)
        late = agent.call("POST", f"/api/escalations/{escalation['id']}/reply", json={"text": "抱歉久等，查到了。"})
        start_server(supervisor, "actions")
        customer.wait_for(lambda t: "查到了" in t, after=seen)
        assert sum("查到了" in (m.get("text") or "") for _, m in customer.messages) == 1
        assert next(m for m in store.detail(escalation["id"])["messages"] if m["id"] == late["id"])["delivered"]

        # The console restarts mid-hand-over: the customer's message meanwhile is on the desk afterwards.
        stop_server(supervisor, "console")
        customer.say("快递单号是多少？")
        start_server(supervisor, "console")
        for _ in range(60):  # the bot relays it on its own time; the desk shows it after the restart
            detail = agent.call("GET", f"/api/escalations/{escalation['id']}")
            if any(m["text"] == "快递单号是多少？" for m in detail["messages"]):
                break
            time.sleep(0.25)
        else:
            raise AssertionError("the message sent while the console was down never reached the desk")

        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
        _, prompt = customer.wait_for(lambda t: "打分" in t, after=seen)
        assert [b["payload"] for b in prompt["quick_replies"]][-1] == '/rate{"csat_score": "5"}'
        customer.say('/rate{"csat_score": "5"}')
        customer.wait_for(lambda t: "感谢您的评分" in t, after=seen)
        customer.say("Ann 很耐心，谢谢")
        customer.wait_for(lambda t: "谢谢您的反馈" in t, after=seen)
        rating = next(r for r in store.ratings() if r["conversation_id"] == customer.session_id)
        assert (rating["score"], rating["agent_id"], rating["comment"]) == (5, agent.user["id"], "Ann 很耐心，谢谢")
        assert said["text"] == "您好，我是 Ann，我来帮您看一下。" and said["metadata"]["agent_name"] == "Ann"
    finally:
        customer.close()


def test_cancel_and_offline_ticket(kefu: Settings, agent: Agent, store: DeskStore) -> None:
    customer = Customer(kefu.rasa_url)
    try:
        customer.say("I want to talk to a human")
        customer.wait_for(lambda t: "ahead of you" in t)
        assert agent.escalation_of(customer.session_id)["language"] == "en"
        customer.say("never mind, cancel the agent request")
        customer.wait_for(lambda t: "taken you out of the queue" in t)
        assert store.active_for(customer.session_id) is None
        assert store.last_for(customer.session_id)["status"] == "cancelled"

        agent.call("POST", "/api/presence", json={"status": "away"})  # nobody online now
        seen = len(customer.messages)
        customer.say("get me a real person")
        customer.wait_for(lambda t: "no agent is available" in t, after=seen)
        customer.say("/leave_message")
        customer.wait_for(lambda t: "describe your problem" in t, after=seen)
        customer.say("My refund never arrived, email me at li.wei@example.com")
        customer.wait_for(lambda t: "Your message is saved" in t, after=seen)
        ticket = next(t for t in store.tickets() if t["conversation_id"] == customer.session_id)
        # Stored as given, shown masked to agents (a supervisor may reveal it, audit-logged).
        assert ticket["masked"] and "li.wei@example.com" not in ticket["contact"] and "refund" in ticket["message"]
        assert store.reveal_ticket(ticket["id"], "test", "reply by e-mail")["contact"] == "li.wei@example.com"
        agent.wait_event("ticket", lambda t: t["id"] == ticket["id"])
    finally:
        agent.call("POST", "/api/presence", json={"status": "online"})
        customer.close()


def test_images_and_typing_cross_the_hand_over_both_ways(kefu: Settings, agent: Agent) -> None:
    customer = Customer(kefu.rasa_url)
    try:
        refused = httpx.post(f"{kefu.console_url}/api/widget/attachments",
                             data={"conversation_id": customer.session_id},
                             files={"file": ("early.png", image("PNG"), "image/png")})
        assert refused.status_code == 409  # no hand-over yet: nobody to send it to
        customer.say("转人工")
        customer.wait_for(lambda t: "前面还有" in t)
        escalation = agent.escalation_of(customer.session_id)
        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")
        customer.wait_for(lambda t: "Ann" in t, after=seen)

        # The agent types: the customer's socket hears it, with the agent's name.
        agent.call("POST", f"/api/escalations/{escalation['id']}/typing", json={"typing": True})
        assert customer.wait_typing() == {"typing": True, "agent_name": "Ann"}

        # The customer sends a photo: kept by the console, carried by the next message to the desk.
        photo = image("JPEG")
        upload = httpx.post(f"{kefu.console_url}/api/widget/attachments",
                            data={"conversation_id": customer.session_id},
                            files={"file": ("broken.jpg", photo, "image/jpeg")})
        assert upload.status_code == 201, upload.text
        events = len(agent.events)
        customer.say("[图片] broken.jpg", metadata={"attachment": upload.json()["token"]})
        _, relayed = agent.wait_event("message", lambda m: bool(m.get("attachment")), after=events)
        assert relayed["attachment"]["filename"] == "broken.jpg"
        assert agent.http.get(relayed["attachment"]["url"]).content == photo

        # The agent sends an image: the customer gets it as an image from the agent, fetchable at its address.
        label = image("PNG", (40, 30))
        seen = len(customer.messages)
        resp = agent.http.post(f"/api/escalations/{escalation['id']}/attachments",
                               files={"file": ("label.png", label, "image/png")})
        assert resp.status_code == 201, resp.text
        got = customer.wait_message(lambda m: bool(m.get("attachment")), after=seen)
        assert got["metadata"]["agent_name"] == "Ann"
        assert httpx.get(got["attachment"]["payload"]["src"]).content == label
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
    finally:
        customer.close()
