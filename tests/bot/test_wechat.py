"""The WeChat channel in Rasa's environment: Tencent's published test vectors, and the webhook's handling of
signed, encrypted, replayed, slow, hostile and malformed messages, without a server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.wechat import WeChatInput
from bot.channels.wechat.buttons import Choices, render
from bot.channels.wechat.crypto import MessageCrypto, WeChatCryptoError, signature

# Tencent's WXBizMsgCrypt sample (Sample.cs / Sample.py) and its Java SDK test (WXBizMsgCryptTest).
SAMPLE = dict(token="QDG6eK", key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", appid="wx5823bf96d3bd56c7",
              msg_signature="477715d11cdb4164915debcba66cb864d751f3e6", timestamp="1409659813", nonce="1372623149",
              encrypt="RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911"
                      "L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLx"
                      "AUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9"
                      "nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/u"
                      "h9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")
JAVA = dict(token="pamtest", key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", appid="wxb11529c136998cb6",
            random="aaaabbbbccccdddd", plain="我是中文abcd123",
            encrypted="jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==")
TOKEN, APPID, KEY = "kefu-token", "wx-kefu-test", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_published_vectors_sign_decrypt_and_encrypt() -> None:
    crypto = MessageCrypto(SAMPLE["token"], SAMPLE["key"], SAMPLE["appid"])
    assert signature(SAMPLE["token"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["encrypt"]) == SAMPLE[
        "msg_signature"]
    assert crypto.check(SAMPLE["msg_signature"], SAMPLE["timestamp"], SAMPLE["nonce"], SAMPLE["encrypt"])
    root = fromstring(crypto.decrypt(SAMPLE["encrypt"]))
    assert root.findtext("Content") == "hello" and root.findtext("MsgId") == "4561255354251345929"
    java = MessageCrypto(JAVA["token"], JAVA["key"], JAVA["appid"])
    assert java.encrypt(JAVA["plain"], JAVA["random"].encode()) == JAVA["encrypted"]
    assert java.decrypt(JAVA["encrypted"]) == JAVA["plain"]


def test_crypto_refuses_wrong_keys_and_tampering() -> None:
    with pytest.raises(WeChatCryptoError):
        MessageCrypto("t", "too-short", "wx")
    other = MessageCrypto(SAMPLE["token"], SAMPLE["key"], "wx-someone-else")
    with pytest.raises(WeChatCryptoError, match="another AppID"):
        other.decrypt(SAMPLE["encrypt"])
    with pytest.raises(WeChatCryptoError):
        MessageCrypto(SAMPLE["token"], SAMPLE["key"], SAMPLE["appid"]).decrypt("not base64 !!")
    assert not MessageCrypto(SAMPLE["token"], SAMPLE["key"], SAMPLE["appid"]).check(
        SAMPLE["msg_signature"], SAMPLE["timestamp"], "1", SAMPLE["encrypt"])


def test_buttons_become_numbered_choices() -> None:
    text, payloads = render({"text": "您想问哪一个？", "buttons": [
        {"title": "退款多久到账", "payload": '/choose_faq{"faq_id": "r1"}'}, {"title": "都不是", "payload": "/deny"}]})
    assert text.splitlines()[2:4] == ["1. 退款多久到账", "2. 都不是"] and "回复序号" in text
    assert payloads == ['/choose_faq{"faq_id": "r1"}', "/deny"]
    choices = Choices()

    async def offered_then_picked() -> list[str]:
        await choices.offer("u1", payloads)
        return [await choices.pick("u1", " 2 "), await choices.pick("u1", "9"), await choices.pick("u2", "1")]

    assert asyncio.run(offered_then_picked()) == ["/deny", "9", "1"]
    assert render({"text": "Let me check.", "agent_name": "Ann"})[0] == "Ann: Let me check."


class Bot:
    """Stands in for Rasa: answers every message, optionally slowly."""

    def __init__(self, delay: float = 0.0, reply: str = "您好") -> None:
        self.delay, self.reply = delay, reply
        self.seen: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message)
        await asyncio.sleep(self.delay)
        await message.output_channel.send_response(message.sender_id, {"text": f"{self.reply}: {message.text}"})


class FakeClient:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text(self, openid: str, content: str) -> None:
        self.sent.append((openid, content))


def channel(**kwargs: Any) -> WeChatInput:
    return WeChatInput(token=TOKEN, appid=APPID, secret="s", encoding_aes_key=KEY, **kwargs)


def signed(extra: dict[str, str] | None = None, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    return {"signature": signature(TOKEN, ts, "n1"), "timestamp": ts, "nonce": "n1", **(extra or {})}


def text_xml(content: str, msg_id: str = "1001", sender: str = "o-user") -> bytes:
    return (f"<xml><ToUserName><![CDATA[gh_kefu]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def test_plain_text_gets_a_passive_reply_and_a_retry_is_processed_once() -> None:
    wechat, bot = channel(), Bot()
    status, body, kind = asyncio.run(wechat.handle(text_xml("你好"), signed(), bot))
    reply = fromstring(body)
    assert status == 200 and kind == "application/xml" and reply.findtext("Content") == "您好: 你好"
    assert reply.findtext("ToUserName") == "o-user" and reply.findtext("FromUserName") == "gh_kefu"
    assert asyncio.run(wechat.handle(text_xml("你好"), signed(), bot))[1] == "success"  # WeChat's retry
    assert [m.text for m in bot.seen] == ["你好"] and bot.seen[0].sender_id == "o-user"
    # Collected under the channel's name, so a response's WeChat variant (`channel: wechat`) is the one used.
    assert bot.seen[0].output_channel.name() == "wechat"


def test_safe_mode_decrypts_and_encrypts_the_reply() -> None:
    wechat, bot = channel(), Bot()
    crypto = MessageCrypto(TOKEN, KEY, APPID)
    ts = str(int(time.time()))
    encrypted = crypto.encrypt(text_xml("退款多久到账", "2002").decode())
    body = f"<xml><ToUserName><![CDATA[gh_kefu]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    args = signed({"encrypt_type": "aes", "msg_signature": signature(TOKEN, ts, "n1", encrypted)}, ts)
    status, reply, _ = asyncio.run(wechat.handle(body.encode(), args, bot))
    outer = fromstring(reply)
    sealed = outer.findtext("Encrypt") or ""
    assert status == 200 and crypto.check(outer.findtext("MsgSignature") or "", outer.findtext("TimeStamp") or "",
                                          outer.findtext("Nonce") or "", sealed)
    assert fromstring(crypto.decrypt(sealed)).findtext("Content") == "您好: 退款多久到账"
    forged = {**args, "msg_signature": "0" * 40}
    assert asyncio.run(wechat.handle(body.encode(), forged, bot))[0] == 403


def test_a_slow_answer_follows_through_the_customer_service_api() -> None:
    wechat, bot, client = channel(reply_timeout_s=0.05), Bot(delay=0.3), FakeClient()
    wechat.client = client  # type: ignore[assignment]

    async def run() -> tuple[int, str, str]:
        result = await wechat.handle(text_xml("查订单", "3003"), signed(), bot)
        await asyncio.sleep(0.6)
        return result

    status, body, _ = asyncio.run(run())
    assert (status, body) == (200, "success") and client.sent == [("o-user", "您好: 查订单")]


@pytest.mark.parametrize(
    ("body", "args", "status"),
    [
        (text_xml("hi"), {"signature": "forged", "timestamp": str(int(time.time())), "nonce": "n1"}, 403),
        (text_xml("hi"), "stale", 403),
        (b"<xml><unclosed>", None, 400),
        (b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<xml><Content>&lol2;</Content></xml>""", None, 400),
        (b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><FromUserName>u</FromUserName><Content>&xxe;</Content></xml>""", None, 400),
        (b"<xml>" + b"a" * 70000 + b"</xml>", None, 413),
    ],
    ids=["forged-signature", "stale-timestamp", "malformed", "xml-bomb", "external-entity", "oversized"],
)
def test_bad_requests_are_refused_and_nothing_reaches_the_bot(body: bytes, args: Any, status: int) -> None:
    wechat, bot = channel(), Bot()
    if args == "stale":
        args = signed(timestamp=str(int(time.time()) - 3600))
    got = asyncio.run(wechat.handle(body, args or signed(), bot))
    assert got[0] == status and bot.seen == []


def test_events_and_media_become_what_the_bot_understands() -> None:
    wechat, bot = channel(), Bot()

    def send(inner: str, msg_id: str = "") -> str:
        xml = (f"<xml><ToUserName>gh_kefu</ToUserName><FromUserName>o-user</FromUserName>"
               f"<CreateTime>{msg_id or time.time_ns()}</CreateTime>{inner}"
               f"{'<MsgId>' + msg_id + '</MsgId>' if msg_id else ''}</xml>")
        return asyncio.run(wechat.handle(xml.encode(), signed(), bot))[1]

    send("<MsgType>event</MsgType><Event>subscribe</Event>")
    assert send("<MsgType>event</MsgType><Event>unsubscribe</Event>") == "success"
    send("<MsgType>event</MsgType><Event>CLICK</Event><EventKey>转人工</EventKey>")
    send("<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl>", "5001")
    send("<MsgType>location</MsgType><Location_X>31.2</Location_X>", "5002")
    send("<MsgType>voice</MsgType><Recognition>我的快递到哪了</Recognition>", "5003")
    assert [m.text for m in bot.seen] == ["/greet", "转人工", '/send_media{"media_type": "image"}',
                                          '/send_media{"media_type": "location"}', "我的快递到哪了"]


def test_without_a_token_the_webhook_says_it_is_not_configured() -> None:
    wechat = WeChatInput(token="", appid="", secret="")
    assert asyncio.run(wechat.handle(text_xml("hi"), signed(), Bot()))[0] == 503
    with pytest.raises(ValueError, match="needs token"):
        WeChatInput.from_credentials({"appid": "x"})


# -- what the channel says itself: the domain's wording in the customer's language -----------------------------
DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN))


def worded(domain: Domain, response: str, language: str) -> str:
    """The domain's text of a response in a language, read straight from the domain."""
    return next(str(v["text"]) for v in domain.responses[response] if v["condition"][0]["value"] == language)


def served(wechat: WeChatInput, domain: Domain, languages: dict[str, str] | None = None) -> WeChatInput:
    """Bind the channel to an agent with this domain and conversations in these languages (sender → language)."""
    store = InMemoryTrackerStore(domain)
    for sender, language in (languages or {}).items():
        tracker = DialogueStateTracker.from_events(sender, [SlotSet("language", language)], slots=domain.slots)
        asyncio.run(store.save(tracker))
    wechat.wording.bind(SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(domain=domain, tracker_store=store))))
    return wechat


def passive_text(wechat: WeChatInput, body: bytes, bot: Bot) -> str:
    status, reply, _ = asyncio.run(wechat.handle(body, signed(), bot))
    assert status == 200
    return fromstring(reply).findtext("Content") or ""


def test_an_empty_message_is_answered_in_the_conversations_language(domain: Domain) -> None:
    wechat, bot = served(channel(), domain, {"o-en": "en"}), Bot()
    chinese = passive_text(wechat, text_xml("  ", "6001", sender="o-new"), bot)  # nothing yet: WeChat's Chinese
    english = passive_text(wechat, text_xml(" \t ", "6002", sender="o-en"), bot)
    assert chinese == worded(domain, "utter_message_empty", "zh") and "The message is empty" not in chinese
    assert english == worded(domain, "utter_message_empty", "en")
    assert bot.seen == []


def test_a_too_long_message_is_answered_in_its_own_language(domain: Domain) -> None:
    wechat, bot = served(channel(max_message_chars=10), domain, {"o-en": "en"}), Bot()
    chinese = passive_text(wechat, text_xml("我的订单到哪了，麻烦帮我查一下", "6101", sender="o-en"), bot)
    english = passive_text(wechat, text_xml("where is my order please", "6102"), bot)
    assert chinese == worded(domain, "utter_message_too_long", "zh").replace("{limit}", "10")
    assert english == worded(domain, "utter_message_too_long", "en").replace("{limit}", "10")
    assert bot.seen == []


def test_without_a_domain_the_guards_own_text_is_the_fallback() -> None:
    assert passive_text(channel(), text_xml("  ", "6201"), Bot()) == "The message is empty."


def test_the_choosing_hint_is_the_domains_in_the_messages_language(domain: Domain) -> None:
    wording = served(channel(), domain).wording
    buttons = [{"title": "是", "payload": "/affirm"}, {"title": "否", "payload": "/deny"}]
    assert render({"text": "请问是这个吗？", "buttons": buttons}, wording)[0].endswith(
        "\n" + worded(domain, "utter_choose_by_number", "zh"))
    assert render({"text": "Is it this one?", "buttons": buttons}, wording)[0].endswith(
        "\n" + worded(domain, "utter_choose_by_number", "en"))
