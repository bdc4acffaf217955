"""End to end: the real Rasa server and action server on loopback ports, driven over REST and socket.io."""

from __future__ import annotations

import json
import threading
import uuid

import httpx
import pytest
import socketio

from kefu.config import Settings
from tests.e2e.conftest import has_han, rows, say, texts


def test_greets_in_the_customers_language(kefu: Settings) -> None:
    zh = texts(say(kefu, "greet-zh", "你好"))
    assert "您好" in zh
    en = texts(say(kefu, "greet-en", "hello"))
    assert en.startswith("Hi") and not has_han(en)


def test_switching_language_switches_the_answers(kefu: Settings) -> None:
    sender = f"switch-{uuid.uuid4().hex}"
    assert has_han(texts(say(kefu, sender, "你好")))
    english = texts(say(kefu, sender, "are you a bot?"))
    assert "bot" in english and not has_han(english)
    # Digits alone say nothing about language: the conversation keeps English.
    back = texts(say(kefu, sender, "你是机器人吗"))
    assert "机器人" in back


def test_order_lookup_through_the_action_server(kefu: Settings) -> None:
    sender = f"order-{uuid.uuid4().hex}"
    ask = texts(say(kefu, sender, "帮我查一下订单"))
    assert "订单号" in ask
    wrong = texts(say(kefu, sender, "订单号是12345"))
    assert "不对" in wrong and "KF20231123018" in wrong  # explains the format, asks again
    answer = texts(say(kefu, sender, "KF20231123018"))
    assert "顺丰速运" in answer and "SF1402938475612" in answer

    english = texts(say(kefu, f"order-en-{uuid.uuid4().hex}", "where is my order 2023112300012345"))
    assert "delivered" in english and "2026-11-20" in english


def test_conversations_are_persisted_in_the_sql_tracker_store(kefu: Settings) -> None:
    sender = f"persist-{uuid.uuid4().hex}"
    say(kefu, sender, "hello")
    stored = [(r["type_name"], r["data"]) for r in rows(
        kefu.tracker_url, "select type_name, data from events where sender_id = :sender order by id", sender=sender)]
    user_events = [json.loads(data) for kind, data in stored if kind == "user"]
    assert user_events and user_events[0]["text"] == "hello"
    assert any(kind == "bot" for kind, _ in stored)


def test_the_http_api_requires_the_token(kefu: Settings) -> None:
    assert httpx.get(f"{kefu.rasa_url}/status", timeout=10).status_code == 401
    ok = httpx.get(f"{kefu.rasa_url}/status", params={"token": kefu.auth_token()}, timeout=10)
    assert ok.status_code == 200 and "model_id" in ok.json()


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b'{"sender": "bad", "message": ', 400, "InvalidJSON"),  # malformed JSON
        (b"\xff\xfe\x00\x81binary\x00junk", 400, "InvalidJSON"),  # binary junk
        (b'["a", "list"]', 400, "InvalidJSON"),
        (json.dumps({"sender": "bad", "message": ""}).encode(), 400, "EmptyMessage"),
        (json.dumps({"sender": "bad", "message": " \u0000 "}).encode(), 400, "EmptyMessage"),
        (json.dumps({"sender": "bad", "message": "x" * 10_000}).encode(), 413, "MessageTooLong"),
        (json.dumps({"sender": "bad", "message": 42}).encode(), 400, "InvalidMessage"),
        (json.dumps({"sender": ["x"], "message": "hi"}).encode(), 400, "InvalidSender"),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_the_server_keeps_serving(
    kefu: Settings, body: bytes, status: int, reason: str
) -> None:
    resp = httpx.post(
        f"{kefu.rasa_url}/webhooks/rest/webhook",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == status
    assert resp.json()["reason"] == reason
    assert "您好" in texts(say(kefu, f"after-{reason}", "你好"))


def test_emoji_flood_and_junk_text_are_answered(kefu: Settings) -> None:
    sender = f"emoji-{uuid.uuid4().hex}"
    replies = say(kefu, sender, "😡" * 1500)
    assert replies and texts(replies)
    replies = say(kefu, sender, "\u202e\u200b asdf qwer zxcv \ufffd\ufffd")
    assert replies


def test_socketio_conversation(kefu: Settings) -> None:
    client = socketio.Client(reconnection=False)
    session_id = uuid.uuid4().hex
    confirmed = threading.Event()
    got_reply = threading.Event()
    got_error = threading.Event()
    replies: list[dict] = []
    errors: list[dict] = []

    @client.on("session_confirm")
    def on_confirm(data: object) -> None:
        confirmed.set()

    @client.on("bot_uttered")
    def on_bot(data: dict) -> None:
        replies.append(data)
        got_reply.set()

    @client.on("kefu_error")
    def on_error(data: dict) -> None:
        errors.append(data)
        got_error.set()

    client.connect(kefu.rasa_url, socketio_path="/socket.io", transports=["websocket"])
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10)
        client.emit("user_uttered", {"message": "hello, are you a robot?", "session_id": session_id})
        assert got_reply.wait(30)
        assert "bot" in replies[0]["text"] and not has_han(replies[0]["text"])

        client.emit("user_uttered", {"message": "x" * 5000, "session_id": session_id})
        assert got_error.wait(10)
        assert errors[0]["reason"] == "MessageTooLong"

        got_reply.clear()
        replies.clear()
        client.emit("user_uttered", {"message": "转人工", "session_id": session_id})
        assert got_reply.wait(30)
        assert "没有人工客服在线" in replies[0]["text"] and replies[0]["quick_replies"]  # nobody is signed in
    finally:
        client.disconnect()
