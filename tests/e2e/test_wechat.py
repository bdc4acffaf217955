"""End to end: a fake WeChat server drives the real Rasa server's WeChat channel with signed plaintext and
encrypted XML, checks the passive replies, and receives agent replies through the customer-service API."""

from __future__ import annotations

import time
import uuid

import httpx
from defusedxml.ElementTree import fromstring

from bot.channels.wechat.crypto import MessageCrypto, signature
from console.core.security import hash_password
from desk.service import desk_store
from kefu.config import Settings
from tests.e2e.conftest import WECHAT
from tests.support.clients import Agent
from tests.support.files import image
from tests.support.wechat import FakeWeChat

TOKEN = WECHAT["wechat_token"]
CRYPTO = MessageCrypto(TOKEN, WECHAT["wechat_encoding_aes_key"], WECHAT["wechat_appid"])


def webhook(kefu: Settings) -> str:
    return f"{kefu.rasa_url}/webhooks/wechat/webhook"


def signed(extra: dict[str, str] | None = None, ts: str | None = None) -> dict[str, str]:
    ts = ts or str(int(time.time()))
    return {"signature": signature(TOKEN, ts, "nonce1"), "timestamp": ts, "nonce": "nonce1", **(extra or {})}


def message(openid: str, content: str, msg_id: str | None = None) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_lanshan]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id or uuid.uuid4().int % 10**18}</MsgId></xml>")


def post_plain(kefu: Settings, openid: str, content: str, msg_id: str | None = None) -> httpx.Response:
    return httpx.post(webhook(kefu), params=signed(), content=message(openid, content, msg_id).encode(), timeout=30)


def reply_text(resp: httpx.Response) -> str:
    assert resp.status_code == 200, resp.text
    return fromstring(resp.content).findtext("Content") or ""


def user_texts(kefu: Settings, openid: str) -> list[str]:
    token = (kefu.data_path / "rasa_token").read_text().strip()
    tracker = httpx.get(f"{kefu.rasa_url}/conversations/{openid}/tracker", params={"token": token}, timeout=30).json()
    return [e["text"] for e in tracker["events"] if e["event"] == "user"]


def test_url_verification(kefu: Settings) -> None:
    ok = httpx.get(webhook(kefu), params=signed({"echostr": "hello-wechat"}), timeout=10)
    assert ok.status_code == 200 and ok.text == "hello-wechat"
    bad = httpx.get(webhook(kefu), params={**signed({"echostr": "x"}), "signature": "0" * 40}, timeout=10)
    assert bad.status_code == 403


def test_plaintext_message_gets_a_passive_reply_and_a_retry_is_processed_once(kefu: Settings) -> None:
    openid = f"o-plain-{uuid.uuid4().hex[:8]}"
    assert "您好" in reply_text(post_plain(kefu, openid, "你好", "880001"))
    assert post_plain(kefu, openid, "你好", "880001").text == "success"  # WeChat's retry of the same MsgId
    assert user_texts(kefu, openid) == ["你好"]
    answer = reply_text(post_plain(kefu, openid, "我的订单 KF20231123018 到哪了"))
    assert "顺丰速运" in answer


def test_safe_mode_round_trip(kefu: Settings) -> None:
    openid = f"o-aes-{uuid.uuid4().hex[:8]}"
    ts = str(int(time.time()))
    encrypted = CRYPTO.encrypt(message(openid, "are you a robot?"))
    body = f"<xml><ToUserName><![CDATA[gh_lanshan]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    params = signed({"encrypt_type": "aes", "msg_signature": signature(TOKEN, ts, "nonce1", encrypted)}, ts)
    resp = httpx.post(webhook(kefu), params=params, content=body.encode(), timeout=30)
    outer = fromstring(resp.content)
    sealed = outer.findtext("Encrypt") or ""
    assert CRYPTO.check(outer.findtext("MsgSignature") or "", outer.findtext("TimeStamp") or "",
                        outer.findtext("Nonce") or "", sealed)
    assert "bot" in (fromstring(CRYPTO.decrypt(sealed)).findtext("Content") or "")


def test_forged_malformed_hostile_and_oversized_requests_are_refused(kefu: Settings) -> None:
    openid = f"o-bad-{uuid.uuid4().hex[:8]}"
    forged = httpx.post(webhook(kefu), params={**signed(), "signature": "f" * 40},
                        content=message(openid, "你好").encode(), timeout=10)
    bomb = ('<?xml version="1.0"?><!DOCTYPE z [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            f"<xml><FromUserName>{openid}</FromUserName><MsgType>text</MsgType><Content>&b;</Content></xml>")
    statuses = [
        forged.status_code,
        httpx.post(webhook(kefu), params=signed(), content=b"<xml><oops>", timeout=10).status_code,
        httpx.post(webhook(kefu), params=signed(), content=bomb.encode(), timeout=10).status_code,
        httpx.post(webhook(kefu), params=signed(), content=b"<xml>" + b"x" * 100_000 + b"</xml>",
                   timeout=10).status_code,
    ]
    assert statuses == [403, 400, 400, 413]
    assert user_texts(kefu, openid) == []  # nothing reached the bot


def test_media_and_subscribe_are_answered_politely(kefu: Settings) -> None:
    openid = f"o-media-{uuid.uuid4().hex[:8]}"
    subscribe = (f"<xml><ToUserName>gh_lanshan</ToUserName><FromUserName>{openid}</FromUserName>"
                 f"<CreateTime>{int(time.time())}</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>")
    welcome = reply_text(httpx.post(webhook(kefu), params=signed(), content=subscribe.encode(), timeout=30))
    assert "蓝山商城" in welcome
    image = (f"<xml><ToUserName>gh_lanshan</ToUserName><FromUserName>{openid}</FromUserName>"
             f"<CreateTime>{int(time.time())}</CreateTime><MsgType>image</MsgType>"
             f"<PicUrl>http://example.invalid/a.jpg</PicUrl><MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")
    assert "只能看懂文字" in reply_text(httpx.post(webhook(kefu), params=signed(), content=image.encode(), timeout=30))


def test_empty_and_media_messages_are_answered_in_the_customers_language(kefu: Settings) -> None:
    chinese, english = f"o-zh-{uuid.uuid4().hex[:8]}", f"o-en-{uuid.uuid4().hex[:8]}"
    assert "空消息" in reply_text(post_plain(kefu, chinese, " "))  # a new customer: WeChat's Chinese
    assert user_texts(kefu, chinese) == []  # the channel answered; nothing reached the bot
    assert "Lanshan" in reply_text(post_plain(kefu, english, "hello"))
    empty = reply_text(post_plain(kefu, english, " "))
    assert "empty" in empty and "The message is empty." not in empty  # the domain's wording, not the guard's
    picture = (f"<xml><ToUserName>gh_lanshan</ToUserName><FromUserName>{english}</FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType>image</MsgType>"
               f"<PicUrl>http://example.invalid/b.jpg</PicUrl><MsgId>{uuid.uuid4().int % 10**18}</MsgId></xml>")
    answer = reply_text(httpx.post(webhook(kefu), params=signed(), content=picture.encode(), timeout=30))
    assert "only read text" in answer


def test_agent_replies_reach_wechat_through_the_customer_service_api(kefu: Settings,
                                                                    fake_wechat: FakeWeChat) -> None:
    store = desk_store(kefu)
    if store.credentials("wx-agent") is None:
        store.create_agent(
            "wx-agent", display_name="小蓝", role="agent", password_hash=hash_password("wx-agent-password")
        )
    agent = Agent(kefu.console_url, "wx-agent", "wx-agent-password")
    openid = f"o-handoff-{uuid.uuid4().hex[:8]}"
    try:
        agent.call("POST", "/api/presence", json={"status": "online"})
        assert "前面还有" in reply_text(post_plain(kefu, openid, "转人工"))
        escalation = agent.escalation_of(openid)
        assert escalation["channel"] == "wechat"
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")
        fake_wechat.wait_for(openid, lambda t: "小蓝" in t and "已接入" in t)
        agent.call("POST", f"/api/escalations/{escalation['id']}/reply", json={"text": "您好，这边帮您处理。"})
        sent = fake_wechat.wait_for(openid, lambda t: "这边帮您处理" in t)
        assert sent["text"]["content"] == "小蓝：您好，这边帮您处理。" and sent["msgtype"] == "text"
        assert sent["token"] != "token-1"  # the expired first token was refreshed
        assert post_plain(kefu, openid, "好的谢谢").text == "success"  # relayed to the agent, the bot is quiet
        agent.wait_event("message", lambda m: m["text"] == "好的谢谢")
        # A photo: fetched through WeChat's media API and shown to the agent.
        photo = image("JPEG", (32, 24))
        fake_wechat.media["media-photo-1"] = photo
        picture = (f"<xml><ToUserName>gh_kefu</ToUserName><FromUserName>{openid}</FromUserName>"
                   f"<CreateTime>{int(time.time())}</CreateTime><MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl>"
                   f"<MediaId>media-photo-1</MediaId><MsgId>{uuid.uuid4().int % 10**12}</MsgId></xml>")
        assert httpx.post(webhook(kefu), params=signed(), content=picture.encode(), timeout=30).text == "success"
        _, shown = agent.wait_event("message", lambda m: bool(m.get("attachment")))
        assert shown["text"] == "[图片]" and agent.http.get(shown["attachment"]["url"]).content == photo
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
        rating = fake_wechat.wait_for(openid, lambda t: "打分" in t)["text"]["content"]
        assert "5. 5 非常满意" in rating  # buttons as numbered choices
        nps = reply_text(post_plain(kefu, openid, "5"))
        assert "感谢您的评分" in nps and "0–10" in nps and "1. " not in nps  # typed, not numbered choices
        assert "还有什么想对我们说" in reply_text(post_plain(kefu, openid, "9"))
        stored = next(r for r in desk_store(kefu).ratings() if r["conversation_id"] == openid)
        assert (stored["score"], stored["nps"]) == (5, 9)
    finally:
        agent.call("POST", "/api/presence", json={"status": "away"})
        agent.close()
