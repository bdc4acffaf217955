"""Auto-assignment end to end: a console with KEFU_DESK_AUTO_ASSIGN=1 beside the running servers gives a customer who
asks for a person to the online agent with room, and the customer hears who joined; with the agent full, the next
customer waits in the queue."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from console.core.security import hash_password
from desk.service import desk_store
from kefu.config import Settings
from tests.e2e.conftest import free_port
from tests.support.clients import Agent, Customer

PASSWORD = "e2e-password-auto"


@pytest.fixture
def assigning_console(kefu: Settings) -> Iterator[str]:
    """A second console on the same databases and Rasa, with auto-assignment on (as a console replica would run)."""
    port = free_port()
    env = {**kefu.app_env(), "KEFU_DESK_AUTO_ASSIGN": "1", "KEFU_DESK_ASSIGN_EVERY_S": "0.5",
           "KEFU_CONSOLE_PORT": str(port)}
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
