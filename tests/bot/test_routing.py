"""KB-aware routing: which intent a message is handled as, from Rasa's guess and the knowledge base's signal."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar, Iterator, List

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.kb_router import KB_ROUTE, KnowledgeBaseRouter
from bot.routing import KbSignal, RoutingConfig, is_question, route, wants_order_status

CONFIG = RoutingConfig()
SURE = KbSignal("answer", 0.71, 0.09, "returns-003", shop=True)
CHOICES = KbSignal("clarify", 0.55, 0.01, "refund-001", shop=True)
UNKNOWN_SHOP = KbSignal("unresolved", 0.49, 0.02, "orders-004", shop=True)
NOT_SHOP = KbSignal("unresolved", 0.31, 0.01, "care-002", shop=False)


def routed(text: str, intent: str, kb: KbSignal | None, confidence: float = 0.8, number: bool = False) -> str:
    return route(text, intent, confidence, number, kb, CONFIG).intent


@pytest.mark.parametrize("text", [
    "我的快递到哪了", "我昨天买的耳机什么时候能到", "我的订单怎么还没发货", "查一下我的物流", "订单到哪了",
    "where is my package", "when will my order arrive?", "my parcel still hasn't arrived", "track my order please",
])
def test_own_order_status_requests_are_recognised(text: str) -> None:
    assert wants_order_status(text, has_order_number=False)


@pytest.mark.parametrize("text", [
    "订单能开发票吗", "快递可以放驿站吗", "下单以后还能改地址吗", "can I cancel an order after paying",
    "do you deliver to Hong Kong", "怎么联系快递员",
])
def test_policy_questions_that_mention_an_order_are_not_status_requests(text: str) -> None:
    assert not wants_order_status(text, has_order_number=False)


def test_an_order_number_is_a_status_request() -> None:
    assert wants_order_status("KF20231123018", has_order_number=True)


def test_a_policy_question_rasa_sent_to_the_order_form_goes_to_the_kb() -> None:
    assert routed("订单能开发票吗", "check_order_status", SURE) == "ask_question"
    assert routed("can I change the address on an order", "check_order_status", CHOICES) == "ask_question"


def test_a_real_status_request_starts_the_form_even_when_the_kb_has_a_near_entry() -> None:
    assert routed("我的快递到哪了", "check_order_status", SURE) == "check_order_status"
    assert routed("where is my order", "ask_question", SURE) == "check_order_status"
    assert routed("查下 KF20231123018", "check_order_status", NOT_SHOP, number=True) == "check_order_status"


def test_a_complaint_the_kb_answers_is_answered_and_remembers_it_was_a_complaint() -> None:
    decided = route("东西坏了太失望了，怎么换货", "complain", 0.9, False, SURE, CONFIG)
    assert (decided.intent, decided.routed_from) == ("ask_question", "complain")


def test_venting_the_kb_cannot_answer_keeps_the_complaint_reply() -> None:
    assert routed("你们的服务真的太差了", "complain", UNKNOWN_SHOP) == "complain"


def test_a_shop_question_no_entry_answers_goes_to_the_kb_whatever_rasa_guessed() -> None:
    for intent in ("out_of_scope", "check_order_status", "nlu_fallback"):
        assert routed("你们有线下门店吗", intent, UNKNOWN_SHOP, confidence=0.6) == "ask_question"


def test_off_topic_stays_off_topic_and_gibberish_stays_a_fallback() -> None:
    assert routed("写一首关于秋天的诗", "out_of_scope", NOT_SHOP, confidence=0.95) == "out_of_scope"
    assert routed("asdf qwer", "nlu_fallback", NOT_SHOP, confidence=0.45) == "nlu_fallback"


def test_rasa_sure_of_off_topic_wins_unless_the_kb_would_answer() -> None:
    assert routed("tell me about the weather", "out_of_scope", UNKNOWN_SHOP, confidence=0.99) == "out_of_scope"
    assert routed("can I pay with a foreign card", "out_of_scope", SURE, confidence=0.99) == "ask_question"


def test_dialogue_acts_are_left_alone_and_the_kb_is_not_asked() -> None:
    for text, intent in (("你好", "greet"), ("谢谢", "thank"), ("好的", "affirm"), ("不用了", "deny")):
        decided = route(text, intent, 0.99, False, None, CONFIG)
        assert decided.intent == intent and not decided.ask_kb
    assert not route("转人工", "request_human", 0.5, False, SURE, CONFIG).ask_kb
    assert not route("/choose_faq{\"faq_id\": \"x\"}", "choose_faq", 1.0, False, None, CONFIG).ask_kb
    assert not route("2023112300012345", "check_order_status", 0.7, True, None, CONFIG).ask_kb


def test_an_unsure_greeting_that_carries_a_question_is_answered() -> None:
    assert routed("你好，请问退货运费谁出", "greet", SURE, confidence=0.6) == "ask_question"
    # A question inside a greeting is the question's, choices included ("你好" is not all it says).
    assert routed("你好，请问退货运费谁出", "greet", CHOICES, confidence=0.6) == "ask_question"


def test_typed_words_that_look_like_a_choice_are_a_question() -> None:
    assert routed("第一个问题是什么意思", "choose_faq", CHOICES) == "ask_question"


def test_without_the_kb_rasa_decides() -> None:
    assert routed("订单能开发票吗", "check_order_status", None) == "check_order_status"


def test_question_shape() -> None:
    assert is_question("能退吗") and is_question("how long does it take") and not is_question("太差了")
    assert is_question("用了两天就充不进电了 这算质量问题吧 能退不") and is_question("这种保修管不管")
    assert not is_question("真的很无语，服了")


def test_a_complaint_asking_without_a_question_mark_gets_the_kb() -> None:
    assert routed("上周买的电动牙刷 用了两天就充不进电了 能退不", "complain", UNKNOWN_SHOP) == "ask_question"


class SignalServer(BaseHTTPRequestHandler):
    """A stand-in for the action server's /kb/signal."""

    reply: ClassVar[dict[str, Any]] = {}
    seen: ClassVar[List[dict[str, Any]]] = []

    batches: ClassVar[bool] = True  # False: an older action server without /kb/signals

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        SignalServer.seen.append(body)
        if self.path.endswith("/signals") and not SignalServer.batches:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        reply: Any = SignalServer.reply
        if self.path.endswith("/signals"):
            reply = {"signals": [SignalServer.reply if item["text"].strip() else {"error": "EmptyText"}
                                 for item in body["items"]]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def signal_url() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), SignalServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    SignalServer.seen = []
    SignalServer.batches = True
    yield f"http://127.0.0.1:{server.server_port}/kb/signal"
    server.shutdown()


def message(text: str, intent: str, confidence: float = 0.8, entities: list | None = None) -> Message:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "ask_question", "confidence": 0.1}]
    return Message(data={TEXT: text, INTENT: {"name": intent, "confidence": confidence},
                         INTENT_RANKING_KEY: ranking, ENTITIES: entities or []})


def test_the_component_asks_the_action_server_and_keeps_what_rasa_said(signal_url: str) -> None:
    SignalServer.reply = {"decision": "answer", "score": 0.7, "margin": 0.1, "faq_id": "invoice-001", "shop": True}
    router = KnowledgeBaseRouter({**KnowledgeBaseRouter.get_default_config(), "url": signal_url})
    msg = message("订单能开发票吗", "check_order_status", entities=[{"entity": "language", "value": "zh"}])
    router.process([msg])
    assert SignalServer.seen == [{"text": "订单能开发票吗", "lang": "zh"}]
    assert msg.get(INTENT)["name"] == "ask_question" and msg.get(INTENT_RANKING_KEY)[0]["name"] == "ask_question"
    info = msg.get(KB_ROUTE)
    assert info["intent"] == "check_order_status" and info["kb"]["faq_id"] == "invoice-001"
    assert info["routed_from"] == "check_order_status"

    greeting = message("你好", "greet", 0.99)
    router.process([greeting])
    assert len(SignalServer.seen) == 1 and greeting.get(KB_ROUTE) is None  # a clear greeting: the KB is not asked


def test_messages_parsed_together_ask_the_kb_in_one_request(signal_url: str) -> None:
    SignalServer.reply = {"decision": "answer", "score": 0.7, "margin": 0.1, "faq_id": "invoice-001", "shop": True}
    router = KnowledgeBaseRouter({**KnowledgeBaseRouter.get_default_config(), "url": signal_url})
    zh = [{"entity": "language", "value": "zh"}]
    batch = [message("订单能开发票吗", "check_order_status", entities=zh), message("你好", "greet", 0.99),
             message("can I get an invoice for my order", "check_order_status")]
    router.process(batch)
    assert SignalServer.seen == [{"items": [{"text": "订单能开发票吗", "lang": "zh"},
                                            {"text": "can I get an invoice for my order", "lang": None}]}]
    assert [m.get(INTENT)["name"] for m in batch] == ["ask_question", "greet", "ask_question"]
    assert batch[1].get(KB_ROUTE) is None and batch[2].get(KB_ROUTE)["kb"]["faq_id"] == "invoice-001"


def test_an_action_server_without_the_batch_endpoint_is_asked_one_message_at_a_time(signal_url: str) -> None:
    SignalServer.reply = {"decision": "answer", "score": 0.7, "margin": 0.1, "faq_id": "invoice-001", "shop": True}
    SignalServer.batches = False
    router = KnowledgeBaseRouter({**KnowledgeBaseRouter.get_default_config(), "url": signal_url})
    texts = ["订单能开发票吗", "can I get an invoice for my order"]
    for _ in range(2):
        batch = [message(t, "check_order_status") for t in texts]
        router.process(batch)
        assert [m.get(INTENT)["name"] for m in batch] == ["ask_question", "ask_question"]
    # The first batch found no /kb/signals and asked each; the second asked each at once.
    assert SignalServer.seen == [{"items": [{"text": t, "lang": None} for t in texts]},
                                 *[{"text": t, "lang": None} for t in texts] * 2]
    assert router.client._down_until == 0.0


def test_a_refused_message_in_a_batch_keeps_rasas_intent_and_the_others_are_routed(signal_url: str) -> None:
    SignalServer.reply = {"decision": "answer", "score": 0.7, "margin": 0.1, "faq_id": "invoice-001", "shop": True}
    client = KnowledgeBaseRouter({**KnowledgeBaseRouter.get_default_config(), "url": signal_url}).client
    signals = client.signals([("订单能开发票吗", "zh"), (" ", None)])
    assert signals[0] is not None and signals[0].faq_id == "invoice-001" and signals[1] is None
    assert client._down_until == 0.0


def test_a_dead_action_server_leaves_rasas_intent_and_is_not_asked_again_at_once() -> None:
    router = KnowledgeBaseRouter({**KnowledgeBaseRouter.get_default_config(), "url": "http://127.0.0.1:9/kb/signal",
                                  "timeout_s": 0.2})
    first = message("订单能开发票吗", "check_order_status")
    router.process([first])
    assert first.get(INTENT)["name"] == "check_order_status" and first.get(KB_ROUTE)["reason"] == "kb unavailable"
    assert router.client.signal("again", "zh") is None and router.client._down_until > 0


def test_a_number_given_while_asked_for_one_is_for_the_order_form() -> None:
    assert routed("订单号是12345", "check_order_status", SURE) == "check_order_status"
    assert routed("my order number is 98765", "ask_question", SURE) == "check_order_status"


def test_a_greeting_without_a_greeting_word_is_not_a_clear_dialogue_act() -> None:
    decided = route("你们招聘客服吗", "greet", 0.99, False, UNKNOWN_SHOP, CONFIG)
    assert decided.ask_kb and decided.intent == "ask_question"
    assert routed("你好", "greet", None, confidence=0.99) == "greet"
    assert routed("thanks so much for your help today!", "thank", UNKNOWN_SHOP, confidence=0.99) == "thank"


@pytest.mark.parametrize(("text", "intent"), [
    ("the desk lamp from my last order, what wattage bulb does it take?", "cancel_handoff"),
    ("这款空气炸锅有几升，三口之家用够不够啊？", "feedback_helpful"),
    ("that didn't help at all, how do I actually get my deposit back?", "feedback_not_helpful"),
])
def test_a_long_question_heard_as_a_dialogue_act_goes_to_the_kb_even_when_it_knows_no_answer(
        text: str, intent: str) -> None:
    decided = route(text, intent, 0.7, False, NOT_SHOP, CONFIG)
    assert (decided.intent, decided.routed_from) == ("ask_question", intent)


def test_long_yes_or_no_answers_greetings_and_bot_questions_stay_what_they_are() -> None:
    assert routed("yes please, that's the one I meant, the blue one?", "affirm", NOT_SHOP) == "affirm"
    assert routed("hi there, how are you doing today?", "greet", NOT_SHOP) == "greet"
    assert routed("am I talking to a real person or a bot?", "bot_challenge", NOT_SHOP) == "bot_challenge"


def test_a_question_to_the_shop_is_the_shops_even_when_rasa_calls_it_off_topic() -> None:
    assert routed("Do you sell orthopedic dog beds for big dogs?", "out_of_scope", NOT_SHOP, confidence=0.99) == \
        "ask_question"
    assert routed("你们有卖猫粮吗，想找无谷的", "out_of_scope", NOT_SHOP, confidence=0.99) == "ask_question"
    assert routed("can you write me a poem about autumn?", "out_of_scope", NOT_SHOP, confidence=0.99) == \
        "out_of_scope"


def test_a_question_rasa_did_not_understand_goes_to_the_kb_for_its_answer_or_honest_not_yet() -> None:
    assert routed("蓝山那款按摩椅完全放平有多长", "nlu_fallback", NOT_SHOP, confidence=0.4) == "ask_question"
    assert routed("asdf qwer", "nlu_fallback", NOT_SHOP, confidence=0.45) == "nlu_fallback"


@pytest.mark.parametrize(("text", "intent", "kb", "wanted"), [
    # A request inside a greeting: what it asks for, not the greeting.
    ("在吗 我要退款", "greet", UNKNOWN_SHOP, "ask_question"),
    ("亲 在吗 退货地址发我一下", "greet", SURE, "ask_question"),
    ("hello, I need a refund for a broken mug", "greet", NOT_SHOP, "ask_question"),
    ("您好，我要投诉你们的快递员", "greet", NOT_SHOP, "complain"),
    ("你好 帮我转人工", "greet", UNKNOWN_SHOP, "request_human"),
    ("hi, I want to talk to a human", "greet", NOT_SHOP, "request_human"),
    ("在吗 我的快递到哪了", "greet", NOT_SHOP, "check_order_status"),
    ("怎么申请退款 谢谢", "thank", SURE, "ask_question"),
    # "how do I reach a person" is a question the KB answers, not a request for one.
    ("你好 请问人工客服怎么联系", "greet", SURE, "ask_question"),
    # Nothing of its own inside: still the act.
    ("你好呀", "greet", None, "greet"),
    ("在吗 有人吗", "greet", None, "greet"),
    ("好的谢谢", "thank", None, "thank"),
    ("ok thanks", "thank", None, "thank"),
])
def test_a_request_wrapped_in_a_greeting_or_thanks_is_routed_for_the_request(text: str, intent: str,
                                                                             kb: KbSignal | None,
                                                                             wanted: str) -> None:
    assert routed(text, intent, kb, confidence=0.97) == wanted


@pytest.mark.parametrize(("text", "kb", "wanted"), [
    # A word for a person: the customer asked for one, whatever the KB says (and it is not asked).
    ("转人工", SURE, "request_human"),
    ("帮我找个客服", SURE, "request_human"),
    ("can I talk to a real person", SURE, "request_human"),
    # No word for one: Rasa guessed; a how-to the KB matches, or anything it is sure of, is a question.
    ("got a voucher in the mail, where do I enter it", CHOICES, "ask_question"),
    ("退货地址怎么填", CHOICES, "ask_question"),
    ("want to send back a jacket I bought", SURE, "ask_question"),
    # Still a request for someone to deal with it.
    ("你们能不能处理一下", CHOICES, "request_human"),
    ("sort this out now", NOT_SHOP, "request_human"),
])
def test_request_human_without_a_word_for_a_person_is_rasas_guess(text: str, kb: KbSignal, wanted: str) -> None:
    decided = route(text, "request_human", 0.9, False, kb, CONFIG)
    assert decided.intent == wanted
    assert decided.ask_kb == (wanted == "ask_question" or text in ("你们能不能处理一下", "sort this out now"))


@pytest.mark.parametrize("text", [
    "衣服不喜欢的话七天内可以退吗", "want to know if I can get a refund on a gift", "优惠码填在哪里",
    "你们会不会把我的个人信息给别人", "do you share my personal data with anyone",
])
def test_a_named_shop_service_is_the_shops_even_when_rasa_is_sure_it_is_off_topic(text: str) -> None:
    assert routed(text, "out_of_scope", CHOICES, confidence=1.0) == "ask_question"
    assert routed(text, "out_of_scope", UNKNOWN_SHOP, confidence=1.0) == "ask_question"


@pytest.mark.parametrize("text", ["退休以后干点什么好", "快递行业前景怎么样", "how do refunds work at a bank"])
def test_off_topic_stays_off_topic_without_a_named_shop_service_or_a_kb_match(text: str) -> None:
    assert routed(text, "out_of_scope", UNKNOWN_SHOP if "bank" not in text else NOT_SHOP, confidence=0.99) == \
        "out_of_scope"
    assert routed("写一首关于退货的诗", "out_of_scope", NOT_SHOP, confidence=0.99) == "out_of_scope"


@pytest.mark.parametrize("text", ["新疆能寄到吗", "海南能发货吗 大概几天", "do you ship to Macau?"])
def test_whether_shipping_reaches_a_place_is_a_policy_question(text: str) -> None:
    assert not wants_order_status(text, has_order_number=False)
    assert routed(text, "check_order_status", UNKNOWN_SHOP, confidence=1.0) == "ask_question"


def test_shipping_to_a_place_with_the_customers_own_order_is_still_a_status_request() -> None:
    assert routed("我的快递能送到吗", "check_order_status", UNKNOWN_SHOP, confidence=1.0) == "check_order_status"
    assert routed("我买的东西什么时候能寄到", "check_order_status", UNKNOWN_SHOP, confidence=1.0) == \
        "check_order_status"


@pytest.mark.parametrize("text", ["these trainers are too small, can I swap them for a bigger size", "我想换大一码"])
def test_an_exchange_the_kb_matches_is_a_question_not_a_request_for_a_person(text: str) -> None:
    assert routed(text, "request_human", CHOICES, confidence=0.7) == "ask_question"
    assert routed(text, "request_human", NOT_SHOP, confidence=0.7) == "request_human"
    assert routed("换货找人工", "request_human", CHOICES, confidence=0.7) == "request_human"


@pytest.mark.parametrize("text", ["在哪确认收货", "收到货了在哪点确认", "how do I confirm delivery in the app"])
def test_confirming_receipt_is_a_question_about_the_button_not_a_status_request(text: str) -> None:
    assert not wants_order_status(text, has_order_number=False)
    assert routed(text, "check_order_status", CHOICES, confidence=0.9) == "ask_question"
