"""The cluster profile on loopback (kefu/cluster.py): PostgreSQL, Redis and HAProxy from Debian, two replicas of
each server. A conversation whose messages land on both Rasa replicas is stored once and in order, two messages of
one conversation sent to both replicas at once are handled one after the other, a reply sent by one replica reaches
a socket held by the other, a hand-over works through the proxy, a WeChat retry that reaches the other replica is
processed once; while PostgreSQL or Redis restarts customers are told so and the servers reconnect by themselves;
a replica of each server killed with SIGKILL loses and repeats nothing."""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import os
import shutil
import signal
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.channels.wechat.crypto import signature
from kefu.cluster import Cluster, free_port_base, proxy_ports
from kefu.config import Settings, get_settings
from tests.e2e.conftest import WECHAT
from tests.support.clients import Agent, Customer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Not under pytest's temporary folder, which only root may enter: PostgreSQL runs as the `postgres` user.
    data = Path(tempfile.mkdtemp(prefix="kefu-cluster-"))
    data.chmod(0o755)
    # The index built by `make kb` from the same demo knowledge base: the cluster loads that KB into PostgreSQL and
    # finds the index ready instead of embedding every question again (40 s).
    shutil.copytree(get_settings().kb_index_path, data / "cluster" / "index")
    ports = free_port_base()
    base = Settings(**proxy_ports(ports), data_dir=data, cluster_port_base=ports, kb_reload_check_s=0.5,
                    rasa_replicas=2, action_replicas=2, console_replicas=2, desk_auto_assign=False, **WECHAT)
    running = Cluster.create(base)
    try:
        running.start()
        assert running.servers is not None
        running.servers.wait_for_nlu_workers()
        yield running
    finally:
        running.stop()
        shutil.rmtree(data, ignore_errors=True)


def replica_url(cluster: Cluster, number: int) -> str:
    return f"http://{cluster.settings.host}:{cluster.plan.ports('rasa')[number - 1]}"


def say(url: str, sender: str, message: str) -> list[dict[str, Any]]:
    # A new connection each time, without cookies: the proxy balances each message on its own.
    resp = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def stored(cluster: Cluster, sender: str) -> list[tuple[str, str]]:
    """(type, text or action) of the conversation's stored events, in order, from PostgreSQL."""
    engine = create_engine(cluster.settings.tracker_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s "
                                           "ORDER BY id"), {"s": sender}).all()
    finally:
        engine.dispose()
    return [(t, (json.loads(d).get("text") or "") if t in ("user", "bot") else (a or "")) for t, a, d in rows]


def test_a_conversation_on_both_replicas_is_stored_once_and_in_order(cluster: Cluster) -> None:
    sender = f"cl-{uuid.uuid4().hex[:8]}"
    messages = ["你好", "发票怎么开", "我要查订单", "谢谢"]
    for k, message in enumerate(messages):  # replica 1, 2, 1, then through the proxy
        url = cluster.settings.rasa_url if k == 3 else replica_url(cluster, 1 + k % 2)
        assert any(r.get("text") for r in say(url, sender, message))
    events = stored(cluster, sender)
    assert [t for kind, t in events if kind == "user"] == messages  # each once, in order
    assert sum(kind == "bot" for kind, _ in events) >= len(messages)


def test_two_messages_of_one_conversation_at_once_on_two_replicas_take_turns(cluster: Cluster) -> None:
    sender = f"cl-{uuid.uuid4().hex[:8]}"
    say(replica_url(cluster, 1), sender, "你好")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(lambda a: say(replica_url(cluster, a[0]), sender, a[1]),
                                [(1, "运费怎么算"), (2, "怎么退货")]))
    assert all(any(r.get("text") for r in got) for got in replies)
    events = stored(cluster, sender)
    users = [i for i, (kind, _) in enumerate(events) if kind == "user"]
    assert len(users) == 3
    for here, after in itertools.pairwise(users):
        # The Redis ticket lock: a message is handled to its end (the bot listens again) before the next starts.
        assert ("action", "action_listen") in events[here + 1:after], events


def test_a_reply_sent_by_one_replica_reaches_a_socket_on_the_other(cluster: Cluster) -> None:
    customer = Customer(replica_url(cluster, 1))
    try:
        customer.say("你好")
        customer.wait_for(bool)
        seen = len(customer.messages)
        token = (cluster.settings.data_path / "rasa_token").read_text().strip()
        resp = httpx.post(f"{replica_url(cluster, 2)}/conversations/{customer.session_id}/execute",
                          params={"token": token, "output_channel": "socketio"},
                          json={"name": "utter_greet"}, timeout=60)
        assert resp.status_code == 200, resp.text
        customer.wait_for(bool, after=seen, timeout=15)  # through Redis, from replica 2 to replica 1's socket
    finally:
        customer.close()


def test_a_hand_over_through_the_proxy(cluster: Cluster) -> None:
    password = (cluster.settings.data_path / "console_admin_password").read_text().strip()
    agent = Agent(cluster.settings.console_url, "admin", password)
    customer = Customer(cluster.settings.rasa_url)
    try:
        agent.call("POST", "/api/presence", json={"status": "online"})
        customer.say("转人工")
        escalation = agent.escalation_of(customer.session_id)
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")
        reply = f"您好，我是客服 {uuid.uuid4().hex[:6]}"
        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/reply", json={"text": reply})
        customer.wait_for(lambda t: t == reply, after=seen)
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
        agent.call("POST", "/api/presence", json={"status": "away"})
    finally:
        customer.close()
        agent.close()


def test_a_wechat_retry_on_the_other_replica_is_processed_once(cluster: Cluster) -> None:
    openid, msg_id = f"o-cl-{uuid.uuid4().hex[:8]}", str(uuid.uuid4().int % 10**18)
    ts = str(int(time.time()))
    params = {"signature": signature(WECHAT["wechat_token"], ts, "n1"), "timestamp": ts, "nonce": "n1"}
    body = (f"<xml><ToUserName><![CDATA[gh_kefu]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()
    first = httpx.post(f"{replica_url(cluster, 1)}/webhooks/wechat/webhook", params=params, content=body, timeout=30)
    retry = httpx.post(f"{replica_url(cluster, 2)}/webhooks/wechat/webhook", params=params, content=body, timeout=30)
    assert first.status_code == 200 and "<Content>" in first.text
    assert retry.status_code == 200 and retry.text == "success"
    assert [t for kind, t in stored(cluster, openid) if kind == "user"] == ["你好"]


UNAVAILABLE = "抱歉，系统暂时出了点问题"


def texts(replies: list[dict[str, Any]]) -> str:
    return " ".join(str(r.get("text") or "") for r in replies)


@pytest.mark.parametrize("service", ["postgres", "redis"])
def test_while_postgres_or_redis_restarts_customers_get_an_honest_reply_and_the_servers_reconnect(
        cluster: Cluster, service: str) -> None:
    sender = f"cl-{service}-{uuid.uuid4().hex[:6]}"
    assert texts(say(cluster.settings.rasa_url, sender, "你好"))
    child = next(c for c in cluster.children() if c.name == service)
    customer = Customer(cluster.settings.rasa_url)
    ops = signed_in_admin(cluster)
    week = {"start": "2020-01-01", "end": "2020-01-08"}
    assert ops.get("/api/dashboard", params=week).status_code == 200
    child.stop()
    try:
        assert texts(say(cluster.settings.rasa_url, sender, "发票怎么开")).startswith(UNAVAILABLE)
        if service == "postgres":  # the ops dashboard says so too, rather than a 500
            resp = ops.get("/api/dashboard", params=week)
            assert resp.status_code == 503 and "is unavailable" in resp.json()["detail"], resp.text
        customer.say("运费怎么算")  # on socket.io too (with Redis away, from the replica that holds the socket)
        customer.wait_for(lambda t: t.startswith(UNAVAILABLE), timeout=30)
    finally:
        child.start(echo=False)
        deadline = time.monotonic() + 60
        while not child.is_ready():
            assert time.monotonic() < deadline, f"{service} did not come back"
            time.sleep(0.2)
        customer.close()
    deadline = time.monotonic() + 30  # the servers reconnect by themselves
    while texts(reply := say(cluster.settings.rasa_url, sender, "发票怎么开")).startswith(UNAVAILABLE) or not reply:
        assert time.monotonic() < deadline, f"still unavailable 30 s after {service} came back"
        time.sleep(1)
    deadline = time.monotonic() + 30
    while (resp := ops.get("/api/dashboard", params=week)).status_code != 200:
        assert time.monotonic() < deadline, f"the dashboard still fails 30 s after {service} came back: {resp.text}"
        time.sleep(1)
    ops.close()
    # What failed while the store was away was never stored (the customer was asked to send it again).
    users = [t for kind, t in stored(cluster, sender) if kind == "user"]
    assert users[0] == "你好" and set(users[1:]) == {"发票怎么开"}


def signed_in_admin(cluster: Cluster) -> httpx.Client:
    """The console's admin (an ops user too) signed in through the proxy."""
    password = (cluster.settings.data_path / "console_admin_password").read_text().strip()
    client = httpx.Client(base_url=cluster.settings.console_url, timeout=30)
    resp = client.post("/api/auth/login", json={"username": "admin", "password": password})
    resp.raise_for_status()
    client.headers["X-CSRF-Token"] = resp.json()["csrf_token"]
    return client


def say_again_after_a_502(cluster: Cluster, sender: str, message: str) -> list[dict[str, Any]]:
    """A customer's message; sent once more if the proxy answered 502 (it reached a replica as it died, which
    never handled it), as the widget's customer resends a message that failed."""
    resp = httpx.post(f"{cluster.settings.rasa_url}/webhooks/rest/webhook",
                      json={"sender": sender, "message": message}, timeout=60)
    if resp.status_code == 502:
        time.sleep(1)
        return say(cluster.settings.rasa_url, sender, message)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def test_killing_a_replica_of_each_server_loses_and_repeats_nothing(cluster: Cluster) -> None:
    """SIGKILL one Rasa replica, one action server and one console (each with its process group) in the middle of
    a conversation and a hand-over: the proxy sends the next requests to the replicas left, every message is
    answered and stored once, the agent's reply arrives once, and the supervisor brings each one back."""
    password = (cluster.settings.data_path / "console_admin_password").read_text().strip()
    agent = Agent(cluster.settings.console_url, "admin", password)
    customer = Customer(replica_url(cluster, 2))  # its socket stays up: replica 2 is not killed
    sender = f"cl-kill-{uuid.uuid4().hex[:6]}"
    sent: list[str] = []
    try:
        agent.call("POST", "/api/presence", json={"status": "online"})
        customer.say("转人工")
        escalation = agent.escalation_of(customer.session_id)
        for name, message in [("rasa-1", "发票怎么开"), ("actions-1", "运费怎么算"), ("console-1", "怎么退货")]:
            child = next(c for c in cluster.children() if c.name == name)
            os.killpg(child.proc.pid, signal.SIGKILL)  # type: ignore[union-attr]
            for text_ in (message, "谢谢"):
                sent.append(text_)
                assert texts(say_again_after_a_502(cluster, sender, text_)), f"no answer after killing {name}"
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")  # through console-2: sessions are in SQL
        reply = f"您好，我是客服 {uuid.uuid4().hex[:6]}"
        seen = len(customer.messages)
        agent.call("POST", f"/api/escalations/{escalation['id']}/reply", json={"text": reply})
        customer.wait_for(lambda t: t == reply, after=seen)
        time.sleep(4)  # a second delivery (a redelivery racing the first) would arrive by now
        assert sum(1 for _, m in customer.messages if m.get("text") == reply) == 1
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
        agent.call("POST", "/api/presence", json={"status": "away"})
    finally:
        customer.close()
        agent.close()
    assert [t for kind, t in stored(cluster, sender) if kind == "user"] == sent  # each once, in order
    deadline = time.monotonic() + 120
    while any(not c.is_ready() for c in cluster.children()):  # what make run-cluster's supervisor does
        cluster.watch()
        assert time.monotonic() < deadline, [c.name for c in cluster.children() if not c.is_ready()]
        time.sleep(0.5)


def test_a_new_index_version_reaches_every_action_server(cluster: Cluster) -> None:
    """An entry added to the knowledge base on PostgreSQL and published is answered by each action server replica
    (they watch the shared index folder), asked directly, without a restart."""
    from knowledge_base import service
    from knowledge_base.io import EntryData

    question, answer = "你们支持企业团购吗", "支持，企业团购请联系 tuangou@example.com，专人为您报价。"
    service.store(cluster.settings).import_entries(
        [EntryData("cluster-group-buying", "general", answers={"zh": answer}, variants={"zh": [question]})],
        author="e2e")
    service.publish(cluster.settings)
    for port in cluster.plan.ports("actions"):
        deadline = time.monotonic() + 15
        while True:
            signal_ = httpx.post(f"http://{cluster.settings.host}:{port}/kb/signal",
                                 json={"text": question, "lang": "zh"}, timeout=30).json()
            if signal_.get("faq_id") == "cluster-group-buying" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert signal_["faq_id"] == "cluster-group-buying" and signal_["decision"] == "answer", (port, signal_)
