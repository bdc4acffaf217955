"""The bot remembers a returning customer, end to end: the welcome back on REST, socket.io and WeChat; a shop
customer id signed with the shop's secret joins their conversations across channels, and a forged one is refused
and treated as an unverified visitor."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx

from console.core.security import hash_password
from desk.service import desk_store
from kefu.config import Settings
from kefu.identity import sign
from tests.e2e.conftest import IDENTITY_SECRET, rows, texts
from tests.e2e.test_wechat import post_plain, reply_text
from tests.support.clients import Customer

WELCOME_ZH = "欢迎回来"
OPS_PASSWORD = "ops-memory-password-1"


def say(kefu: Settings, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
    resp = httpx.post(f"{kefu.rasa_url}/webhooks/rest/webhook", timeout=60,
                      json={"sender": sender, "message": text, **({"metadata": metadata} if metadata else {})})
    assert resp.status_code == 200, resp.text
    return list(resp.json())


def signed_id(customer: str, secret: str = IDENTITY_SECRET) -> dict[str, str]:
    """The metadata a shop's page sends for a logged-in customer (the signature made on the shop's server)."""
    return {"customer_id": customer, "customer_signature": sign(customer, secret)}


def user_metadata(kefu: Settings, sender: str) -> list[dict]:
    token = kefu.auth_token()
    tracker = httpx.get(f"{kefu.rasa_url}/conversations/{sender}/tracker", params={"token": token}, timeout=30)
    return [e.get("metadata") or {} for e in tracker.json()["events"] if e["event"] == "user"]


def test_a_returning_customer_is_welcomed_back_with_their_orders_news_in_both_languages(kefu: Settings) -> None:
    zh = f"welcome-zh-{uuid.uuid4().hex[:10]}"
    assert "KF20231123018" in texts(say(kefu, zh, "我的订单KF20231123018发货了吗"))
    back = texts(say(kefu, zh, "/session_start"))  # a new conversation, as after an hour away
    assert back.startswith(WELCOME_ZH) and "KF20231123018" in back and "顺丰速运" in back
    assert texts(say(kefu, f"welcome-new-{uuid.uuid4().hex[:10]}", "/session_start")) == ""  # nothing to say

    en = f"welcome-en-{uuid.uuid4().hex[:10]}"
    assert "KF20231120007" in texts(say(kefu, en, "where is my order KF20231120007"))
    back = texts(say(kefu, en, "/session_start"))
    assert back.startswith("Welcome back! The order you asked about, KF20231120007, is being packed")
    # Once per conversation: the next message in the same session gets no second welcome.
    assert "Welcome back" not in texts(say(kefu, en, "hello"))


def test_an_open_ticket_is_what_the_welcome_is_about(kefu: Settings) -> None:
    sender = f"welcome-ticket-{uuid.uuid4().hex[:10]}"
    say(kefu, sender, "你好")
    # The message the customer left when nobody was on the desk (as actions/tickets.py stores it).
    store = desk_store(kefu)
    ticket = store.create_ticket(sender, channel="rest", language="zh", message="我的发票开错了，请回电",
                                 contact="13912345678")
    back = texts(say(kefu, sender, "/session_start"))
    assert back.startswith(WELCOME_ZH) and f"#{ticket['id']}" in back and "13912345678" not in back
    [row] = rows(kefu.tracker_url, "select status from desk_tickets where id = :i", i=ticket["id"])
    assert row["status"] == "open"


def test_a_signed_customer_is_remembered_on_socketio_and_a_forged_id_is_refused(kefu: Settings) -> None:
    shop_id = f"shop-user-{uuid.uuid4().hex[:8]}"
    rest = f"rest-{uuid.uuid4().hex[:10]}"
    assert "KF20231120007" in texts(say(kefu, rest, "我的订单KF20231120007发货了吗", signed_id(shop_id)))

    widget = Customer(kefu.rasa_url)
    try:
        widget.say("我的快递到哪了", signed_id(shop_id))
        welcome = widget.wait_for(lambda t: t.startswith(WELCOME_ZH))[1]
        assert "KF20231120007" in welcome["text"]
        offer = widget.wait_message(lambda m: bool(m.get("quick_replies") or m.get("buttons")))
        assert [b["payload"] for b in offer.get("quick_replies") or offer["buttons"]] == ["KF20231120007"]
    finally:
        widget.close()
    assert user_metadata(kefu, widget.session_id)[0]["customer_verified"] is True

    forger = Customer(kefu.rasa_url)
    try:
        forger.say("我的快递到哪了", signed_id(shop_id, secret="not-the-shops-secret"))
        asked = forger.wait_for(lambda t: "订单号" in t)[1]
        assert not (asked.get("quick_replies") or asked.get("buttons"))  # nothing of the real customer's
        assert not any(WELCOME_ZH in (m.get("text") or "") for _, m in forger.messages)
    finally:
        forger.close()
    [metadata] = user_metadata(kefu, forger.session_id)
    assert metadata.get("identity_refused") == "forged" and "customer_id" not in metadata


def test_a_returning_wechat_customer_is_welcomed_back(kefu: Settings) -> None:
    openid = f"o-memory-{uuid.uuid4().hex[:8]}"
    assert "KF20231123018" in reply_text(post_plain(kefu, openid, "我的订单 KF20231123018 到哪了"))
    back = reply_text(post_plain(kefu, openid, "/session_start"))
    assert back.startswith(WELCOME_ZH) and "KF20231123018" in back


def test_a_member_of_a_tier_gets_the_tiers_answer_and_everyone_else_the_entrys(kefu: Settings) -> None:
    """The shop's backend says the customer's tier (REST metadata; a browser cannot): the demo entry on return
    shipping has answers of its own for 金卡 and 钻石 members, in both languages."""
    gold = texts(say(kefu, f"tier-gold-{uuid.uuid4().hex[:10]}", "无理由退货运费谁出？", {"customer_tier": "金卡"}))
    assert gold.startswith("您是金卡会员") and "上门取件" in gold
    regular = texts(say(kefu, f"tier-none-{uuid.uuid4().hex[:10]}", "无理由退货运费谁出？"))
    assert "由您承担" in regular and "您是金卡会员" not in regular
    diamond = texts(say(kefu, f"tier-diamond-{uuid.uuid4().hex[:10]}", "Who pays for return shipping?",
                        {"customer_tier": "钻石"}))
    assert diamond.startswith("As a Diamond member")


def test_the_questions_customers_ask_next_are_learned_offered_and_switched_off_by_ops(kefu: Settings) -> None:
    """Customers who asked about return shipping went on to ask when their refund arrives; once the job has
    counted the conversations, the next customer is offered that question after the answer, until ops switch it
    off in the console."""
    for i in range(4):
        sender = f"follow-{i}-{uuid.uuid4().hex[:8]}"
        assert "¥10" in texts(say(kefu, sender, "无理由退货运费谁出？"))
        assert "1–3个工作日" in texts(say(kefu, sender, "退款多久到账？"))
    store = desk_store(kefu)
    if store.credentials("ops-mem") is None:
        store.create_agent("ops-mem", display_name="Ops", role="ops", password_hash=hash_password(OPS_PASSWORD))
    ops = httpx.Client(base_url=kefu.console_url, timeout=60)
    login = ops.post("/api/auth/login", json={"username": "ops-mem", "password": OPS_PASSWORD})
    ops.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    assert ops.post("/api/kb/follow-ups/recompute").json()["suggestions"] >= 1
    offered = ops.get("/api/kb/follow-ups", params={"entry_id": "returns-003"}).json()["suggestions"]
    assert ("returns-007", True) in [(f["next_id"], f["offered"]) for f in offered]

    def follow_ups_after_the_answer() -> list[str]:
        replies = say(kefu, f"follow-new-{uuid.uuid4().hex[:8]}", "无理由退货运费谁出？")
        return [b["payload"] for r in replies for b in r.get("buttons") or [] if "returns-007" in b["payload"]]

    assert wait_for(lambda: bool(follow_ups_after_the_answer()))  # each action server re-reads within 10 s
    assert ops.put("/api/kb/follow-ups/returns-003/returns-007", json={"enabled": False}).json()["enabled"] is False
    assert wait_for(lambda: not follow_ups_after_the_answer())
    ops.close()


def wait_for(check: Callable[[], bool], timeout: float = 25.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(1.0)
    return check()
