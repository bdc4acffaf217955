"""KB-aware routing through the real servers: Rasa's NLU asks the action server's /kb/signal, then routes."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from kefu.config import Settings
from knowledge_base import service
from tests.e2e.conftest import has_han, rows, say, texts


def review_rows(settings: Settings, sender: str) -> list[dict]:
    return rows(settings.kb_url, "select i.kind, i.text, i.lang, c.topic from kb_review_items i "
                "join kb_review_clusters c on c.id = i.cluster_id where i.conversation_id = :sender order by i.id",
                sender=sender)


def answer_of(settings: Settings, faq_id: str, lang: str) -> str:
    entry = service.knowledge_base(settings).entry(faq_id, lang)
    assert entry is not None
    return entry.answer


def sender(tag: str) -> str:
    return f"route-{tag}-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize(("question", "lang"), [
    ("订单已经付款了，还能修改收货地址吗", "zh"),
    ("can I change the shipping address on an order I already paid for", "en"),
])
def test_a_policy_question_that_mentions_an_order_gets_the_policys_answer(kefu: Settings, question: str,
                                                                           lang: str) -> None:
    who = sender("policy")
    reply = texts(say(kefu, who, question))
    assert answer_of(kefu, "orders-007", lang) in reply
    assert "订单号" not in reply and "order number" not in reply.lower()  # the order form did not start
    assert review_rows(kefu, who) == []


@pytest.mark.parametrize(("question", "lang"), [
    ("真的很烦，同一个订单扣了我两次钱，多扣的钱什么时候退回来", "zh"),
    ("ugh, this is so frustrating, I was charged twice for one order, when do I get the extra money back?", "en"),
])
def test_a_complaint_the_kb_can_answer_is_acknowledged_and_answered(kefu: Settings, question: str,
                                                                    lang: str) -> None:
    replies = say(kefu, sender("complaint"), question)
    reply = texts(replies)
    assert answer_of(kefu, "payment-012", lang) in reply
    apology = ("抱歉", "歉") if lang == "zh" else ("sorry",)
    assert any(word in replies[0]["text"].lower() for word in apology)  # the feeling comes first
    assert "需要我为您转接人工客服跟进处理吗" not in reply and "follow up on it" not in reply  # not the complaint reply


@pytest.mark.parametrize(("question", "lang"), [("你们在南京有实体店吗", "zh"),
                                                ("do you have a physical store in Nanjing", "en")])
def test_a_shop_question_no_entry_answers_is_honestly_unresolved_and_queued(kefu: Settings, question: str,
                                                                           lang: str) -> None:
    who = sender("unknown")
    reply = texts(say(kefu, who, question))
    assert ("还不" in reply) if lang == "zh" else ("don't know" in reply or "not sure" in reply)
    assert review_rows(kefu, who) == [{"kind": "unresolved", "text": question, "lang": lang, "topic": "shop"}]


@pytest.mark.parametrize(("message", "lang"), [("帮我写一首关于春天的诗", "zh"),
                                               ("who won the football game last night", "en")])
def test_an_off_topic_message_keeps_the_out_of_scope_reply_and_is_queued_apart(kefu: Settings, message: str,
                                                                              lang: str) -> None:
    who = sender("offtopic")
    reply = texts(say(kefu, who, message))
    assert ("帮不上忙" in reply) if lang == "zh" else ("can't help with that" in reply)
    assert review_rows(kefu, who) == [{"kind": "off_topic", "text": message, "lang": lang, "topic": "off_topic"}]


def test_an_order_status_request_without_a_number_starts_the_form(kefu: Settings) -> None:
    zh = texts(say(kefu, sender("order-zh"), "我的快递到哪了"))
    assert "请告诉我您的订单号" in zh
    en = texts(say(kefu, sender("order-en"), "where is my package?"))
    assert "What's your order number" in en and not has_han(en)


def test_an_order_status_request_with_a_number_is_looked_up(kefu: Settings) -> None:
    zh = texts(say(kefu, sender("order-zh"), "KF20231123018 到哪了"))
    assert "SF1402938475612" in zh and has_han(zh)
    en = texts(say(kefu, sender("order-en"), "has KF20231120007 shipped yet?"))
    assert "KF20231120007" in en and "being packed" in en


def test_the_kb_signal_endpoint_answers_and_refuses_bad_input(kefu: Settings) -> None:
    url = f"http://{kefu.host}:{kefu.action_port}/kb/signal"
    signal = httpx.post(url, json={"text": "退货运费谁出", "lang": "zh"}, timeout=30).json()
    assert signal["decision"] == "answer" and signal["faq_id"] == "returns-003" and signal["shop"] is True
    bad = httpx.post(url, content=b"{nope", headers={"Content-Type": "application/json"}, timeout=30)
    assert bad.status_code == 400
    assert httpx.post(url, json={"text": "  "}, timeout=30).json()["error"] == "EmptyText"
    assert httpx.post(url, json={"text": "x" * (kefu.max_message_chars + 1)}, timeout=30).status_code == 413


def test_the_kb_signals_endpoint_answers_several_as_one_at_a_time_and_refuses_each_bad_one(kefu: Settings) -> None:
    base = f"http://{kefu.host}:{kefu.action_port}/kb"
    questions = [{"text": "退货运费谁出", "lang": "zh"}, {"text": "how long does shipping take", "lang": "en"},
                 {"text": "请问你们卖不卖二手手机"}]
    alone = [httpx.post(f"{base}/signal", json=q, timeout=30).json() for q in questions]
    together = httpx.post(f"{base}/signals", json={"items": [*questions, {"text": " "}]}, timeout=30)
    assert together.status_code == 200
    signals = together.json()["signals"]
    assert signals[:3] == alone and signals[0]["faq_id"] == "returns-003"
    assert signals[3]["error"] == "EmptyText"
    assert httpx.post(f"{base}/signals", json={"items": []}, timeout=30).json()["error"] == "NoItems"
    assert httpx.post(f"{base}/signals", json={"text": "退货运费谁出"}, timeout=30).status_code == 400
    assert httpx.post(f"{base}/signals", json={"items": [{"text": "hi"}] * 33}, timeout=30).status_code == 413


@pytest.mark.parametrize(("message", "lang"), [
    ("在吗 收货地址写错了能改吗", "zh"),
    ("亲，请问一下 收货地址填错了还能改不", "zh"),
    ("hi there, quick question - can I still change the delivery address thanks", "en"),
])
def test_a_request_wrapped_in_a_greeting_or_a_filler_is_answered_for_the_request(kefu: Settings, message: str,
                                                                                  lang: str) -> None:
    who = sender("wrapped")
    replies = say(kefu, who, message)
    assert answer_of(kefu, "orders-007", lang) in texts(replies)  # answered, not a greeting or a choice of entries
    assert not any(b["payload"].startswith("/choose_faq") for r in replies for b in r.get("buttons", []))
    # The conversation keeps the customer's own words (the desk and the transcript read them).
    stored = rows(kefu.tracker_url, "select data from events where sender_id = :sender and type_name = 'user'",
                  sender=who)
    assert [json.loads(r["data"])["text"] for r in stored] == [message]


def test_a_greeting_before_a_complaint_gets_the_complaint_handled_not_a_greeting(kefu: Settings) -> None:
    replies = say(kefu, sender("greet-complain"), "你好，我要投诉你们的快递员")
    assert "抱歉" in replies[0]["text"]  # the feeling first, then the KB's answer on reporting a courier
    assert answer_of(kefu, "complaint-005", "zh") in texts(replies)
    assert "我是蓝山商城的智能客服" not in texts(replies)


def test_a_trailing_order_number_does_not_change_the_kbs_decision(kefu: Settings) -> None:
    plain = say(kefu, sender("number"), "退货运费谁出")
    numbered = say(kefu, sender("number"), "退货运费谁出 48213")
    assert texts(numbered) == texts(plain)


def test_a_how_to_heard_as_a_request_for_a_person_is_answered_and_a_real_request_is_not(kefu: Settings) -> None:
    replies = say(kefu, sender("promo"), "I got a discount code in a leaflet, where do I type it in")
    assert answer_of(kefu, "coupon-011", "en") in texts(replies)
    handed = texts(say(kefu, sender("person"), "转人工"))
    assert "人工" in handed or "客服" in handed  # the hand-over path (queue, or the offer of a message)
    assert "还不知道答案" not in handed
