"""Auto-assignment end to end: a console with KEFU_DESK_AUTO_ASSIGN=1 beside the running servers gives a customer who
asks for a person to the online agent with room, and the customer hears who joined; with the agent full, the next
customer waits in the queue."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from console.core.security import hash_password
from desk.service import desk_store
from kefu.config import Settings
from tests.e2e.conftest import free_port
from tests.support.clients import Agent, Customer
from tests.support.files import image

PASSWORD = "e2e-password-auto"


@pytest.fixture
def assigning_console(kefu: Settings) -> Iterator[str]:
    """A second console on the same databases and Rasa, with auto-assignment on (as a console replica would run)."""
    yield from _console(kefu, {})


@pytest.fixture
def reassigning_console(kefu: Settings) -> Iterator[str]:
    """The same, with an unanswered conversation taken back after 20 s, and a 20 s first-response target."""
    yield from _console(kefu, {"KEFU_DESK_REASSIGN_AFTER": "20", "KEFU_DESK_SLA_CHECK_S": "1",
                               "KEFU_DESK_SLA": "urgent=20/300/1800; high=20/600/3600; normal=20/900/7200"})


def _console(kefu: Settings, extra: dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = {**kefu.app_env(), "KEFU_DESK_AUTO_ASSIGN": "1", "KEFU_DESK_ASSIGN_EVERY_S": "0.5",
           "KEFU_CONSOLE_PORT": str(port), **extra}
    log = (kefu.data_path / "logs" / "console-assigning.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "console", "serve", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{kefu.host}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the assigning console did not start"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


@pytest.mark.embedded_only  # starts a console beside the embedded default's servers
def test_a_customer_is_assigned_to_the_online_agent_with_room(kefu: Settings, assigning_console: str) -> None:
    store = desk_store(kefu)
    if store.credentials("e2e-auto") is None:
        store.create_agent("e2e-auto", display_name="Ada", role="agent", password_hash=hash_password(PASSWORD))
    agent = Agent(kefu.console_url, "e2e-auto", PASSWORD)
    store.set_capacity(agent.user["id"], 1)
    agent.call("POST", "/api/presence", json={"status": "online"})
    first, second = Customer(kefu.rasa_url), Customer(kefu.rasa_url)
    try:
        first.say("转人工")
        first.wait_for(lambda t: "Ada" in t and "已接入" in t)
        escalation = agent.escalation_of(first.session_id)
        assert escalation["status"] == "claimed" and escalation["agent"]["display_name"] == "Ada"
        detail = agent.call("GET", f"/api/escalations/{escalation['id']}")
        assert "assigned to Ada automatically" in [m["text"] for m in detail["messages"] if m["role"] == "system"]

        second.say("转人工")
        second.wait_for(lambda t: "前面还有 0 位" in t)
        time.sleep(2)  # several assignment rounds: Ada is full, so the second customer keeps waiting
        assert agent.escalation_of(second.session_id)["status"] == "waiting"
        me = next(a for a in agent.call("GET", "/api/agents") if a["username"] == "e2e-auto")
        assert (me["load"], me["capacity"]) == (1, 1)

        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
        second.wait_for(lambda t: "Ada" in t and "已接入" in t)  # room again: the next customer gets Ada
    finally:
        for item in agent.call("GET", "/api/queue")["escalations"]:
            if item["conversation_id"] in (first.session_id, second.session_id) and item["status"] == "claimed":
                agent.call("POST", f"/api/escalations/{item['id']}/resolve")
        # Later tests expect nobody online (the "leave a message" path).
        agent.call("POST", "/api/presence", json={"status": "away"})
        agent.close()
        first.close()
        second.close()


def _desk(browser: Any, url: str, username: str) -> tuple[Any, Any]:
    """A browser context signed in to the desk at `url`, its live feed open."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/login?next=/desk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/desk")
    page.wait_for_selector("#conn.ok")
    return context, page


def _assigned(store: Any, customer: Customer, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        escalation = store.active_for(customer.session_id)
        if escalation and escalation["status"] == "claimed":
            return dict(escalation)
        time.sleep(0.2)
    raise TimeoutError(f"{customer.session_id} was never assigned")


@pytest.mark.embedded_only  # starts a console beside the embedded default's servers
def test_two_agents_of_capacity_one_share_three_customers_and_work_one_through(
        kefu: Settings, reassigning_console: str, browser: Any) -> None:
    """Two agents with room for one each: of three customers two are assigned and one waits. One agent answers and
    resolves, the waiting customer comes to them, and they resolve that too; the other agent never answers, so
    their customer is taken back when the time runs out (the first-response SLA is missed) and goes to the agent
    with room. That agent greets with a canned reply filled with the customer's name, inserts the knowledge
    base's suggestion, labels the conversation and sends an image; the customer sends one back."""
    store = desk_store(kefu)
    users = {}
    for username, name in (("e2e-ada", "Ada"), ("e2e-bo", "Bo")):
        if store.credentials(username) is None:
            store.create_agent(username, display_name=name, role="agent", password_hash=hash_password(PASSWORD))
        users[name] = next(a for a in store.agents() if a["username"] == username)
        store.set_capacity(users[name]["id"], 1)
    desks = {name: _desk(browser, reassigning_console, f"e2e-{name.lower()}") for name in users}
    customers = [Customer(kefu.rasa_url) for _ in range(3)]
    first, second, third = customers
    try:
        deadline = time.monotonic() + 15
        while store.agents_online() < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        first.say("转人工", metadata={"customer_name": "王芳"})
        one = _assigned(store, first)
        second.say("转人工")
        two = _assigned(store, second)
        slow, quick = one["agent"]["display_name"], two["agent"]["display_name"]
        assert {slow, quick} == {"Ada", "Bo"}  # least load: one each
        third.say("转人工")
        third.wait_for(lambda t: "前面还有" in t)
        time.sleep(2)  # several assignment rounds: both agents are full
        assert store.active_for(third.session_id)["status"] == "waiting"

        # The quick agent answers and resolves; the waiting customer comes to them; they answer and resolve that.
        page = desks[quick][1]
        for customer, escalation in ((second, two), (third, None)):
            escalation = escalation or _assigned(store, customer)
            assert escalation["agent"]["display_name"] == quick
            page.locator(f".queue-item[data-escalation-id='{escalation['id']}']").click()
            page.wait_for_function("() => !document.getElementById('reply-input').disabled")
            page.fill("#reply-input", "您好，马上为您处理。")
            page.click("#send-button")
            customer.wait_for(lambda t: "马上为您处理" in t)
            page.click("#resolve-button")
            customer.wait_for(lambda t: "打分" in t)

        # The slow agent never answers: the conversation goes back and on to the quick one, recorded as such.
        first.wait_for(lambda t: quick in t and "已接入" in t, timeout=60)
        moved = _assigned(store, first)
        assert moved["agent"]["display_name"] == quick
        texts = [m["text"] for m in store.detail(moved["id"])["messages"] if m["role"] == "system"]
        assert any(slow in t and "did not answer" in t for t in texts), texts
        for _ in range(50):  # each console looks for missed deadlines every second
            if any(b["kind"] == "first_response" for b in store.get_escalation(moved["id"])["sla"]["breaches"]):
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the missed first response was never recorded")

        page.locator(f".queue-item[data-escalation-id='{moved['id']}']").click()
        page.wait_for_function("() => !document.getElementById('reply-input').disabled")
        reply = page.locator("#reply-input")
        page.wait_for_selector("#canned-select option[title^='王芳好']", state="attached")  # filled for this customer
        reply.click()
        reply.type("/hi")
        page.wait_for_selector("#slash-menu .slash-item.active:has-text('/hi')")
        reply.press("Enter")
        assert reply.input_value().startswith(f"王芳好，我是人工客服{quick}")
        page.click("#send-button")
        first.wait_for(lambda t: t.startswith("王芳好"))

        first.say("退货的运费谁来出？")
        page.wait_for_selector("#assist .assist-question:has-text('退货的运费谁来出')")
        suggestion = page.locator("#assist .assist-item").first
        answer = suggestion.locator(".assist-answer").get_attribute("title")
        suggestion.locator("button.assist-insert").click()
        assert answer and reply.input_value() == answer
        page.click("#send-button")
        first.wait_for(lambda t: t == answer)

        page.wait_for_selector("#label-add:not([hidden])")
        page.select_option("#label-add", label="refund")
        page.wait_for_selector("#conv-labels .label-chip:has-text('refund')")

        seen = len(first.messages)
        page.fill("#reply-input", "这是退货面单")
        page.set_input_files("#attach-input", files=[{"name": "label.png", "mimeType": "image/png",
                                                      "buffer": image("PNG", (80, 40))}])
        got = first.wait_message(lambda m: bool(m.get("attachment")), after=seen)
        assert got["metadata"]["agent_name"] == quick
        photo = image("JPEG", (64, 48))
        upload = httpx.post(f"{reassigning_console}/api/widget/attachments", data={"conversation_id": first.session_id},
                            files={"file": ("parcel.jpg", photo, "image/jpeg")})
        assert upload.status_code == 201, upload.text
        first.say("[图片] parcel.jpg", metadata={"attachment": upload.json()["token"]})
        page.wait_for_function("() => [...document.querySelectorAll('#transcript .msg-customer img.msg-img')]"
                               ".some(i => i.naturalWidth === 64)")
        page.click("#resolve-button")
        first.wait_for(lambda t: "打分" in t)
    finally:
        for customer in customers:
            escalation = store.active_for(customer.session_id)
            if escalation is not None:
                store.cancel(customer.session_id)
            customer.close()
        for context, _page in desks.values():
            context.close()
        for user in users.values():
            store.set_presence(user["id"], "away")
