import asyncio
import json

import pytest
from rasa_sdk.executor import CollectingDispatcher

import actions.faq as faq
from actions.clients import kb as kb_client
from knowledge_base import service
from knowledge_base.answering import Thresholds
from tests.actions.conftest import make_tracker
from tests.knowledge_base.conftest import embedder, kb_settings, settings  # noqa: F401  (fixtures)


@pytest.fixture
def kb(kb_settings, monkeypatch):  # noqa: F811
    """The actions talk to the small test KB."""
    monkeypatch.setattr(kb_client, "knowledge_base", lambda: service.knowledge_base(kb_settings))
    monkeypatch.setattr(kb_client, "review_queue", lambda: service.review_queue(kb_settings))
    return kb_settings


def run(action, dispatcher, domain, **tracker_args):
    tracker = make_tracker(**tracker_args)
    tracker.latest_message["text"] = tracker_args.get("text", "")
    return asyncio.run(action.run(dispatcher, tracker, domain))


def slots(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def review_items(kb_settings_):
    queue = service.review_queue(kb_settings_)
    return [item for c in queue.clusters(status=None) for item in queue.cluster(c.id)[1]]


def test_confident_answer_in_the_customers_language(kb, dispatcher, domain) -> None:
    events = run(faq.ActionAnswerFaq(), dispatcher, domain, text="退货的邮费谁来出", slots={"language": "zh"})
    [message] = dispatcher.messages
    assert message["response"] == "utter_faq_answer"
    assert message["answer"].startswith("七天无理由退货")
    assert slots(events)["kb_last_faq_id"] == "returns-fee"
    assert review_items(kb) == []


def test_an_answer_only_in_the_other_language_says_so_first(kb, dispatcher, domain) -> None:
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="增值税专用发票要什么资料", slots={"language": "en"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_other_language", "utter_faq_answer"]
    assert dispatcher.messages[1]["answer"].startswith("增值税专用发票")
    dispatcher.messages.clear()
    run(faq.ActionAnswerChosenFaq(), dispatcher, domain, slots={"language": "zh", "faq_id": "password-reset"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_other_language", "utter_faq_answer"]
    dispatcher.messages.clear()
    run(faq.ActionAnswerChosenFaq(), dispatcher, domain, slots={"language": "zh", "faq_id": "refund-time"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_answer"]  # it has a Chinese answer


def test_unknown_question_is_queued_before_the_honest_reply(kb, dispatcher, domain) -> None:
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="明天北京会下雨吗", slots={"language": "zh"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_unknown"]
    [item] = review_items(kb)
    assert (item["kind"], item["text"], item["lang"], item["conversation_id"]) == (
        "unresolved", "明天北京会下雨吗", "zh", "test-user")
    assert item["candidates"] and {"faq_id", "score", "question", "answer"} <= item["candidates"][0].keys()


def test_unsure_answers_offer_choices_titled_in_the_customers_language(kb, dispatcher, domain, monkeypatch) -> None:
    strict = service.knowledge_base(kb)
    strict.thresholds = Thresholds(answer=1.01, margin=0, clarify=0.0, window=1.0)
    monkeypatch.setattr(kb_client, "knowledge_base", lambda: strict)
    events = run(faq.ActionAnswerFaq(), dispatcher, domain, text="退款和退货运费", slots={"language": "en"})
    [message] = dispatcher.messages
    assert message["response"] == "utter_faq_clarify"
    choices, none = message["buttons"][:-1], message["buttons"][-1]
    assert 1 <= len(choices) <= 3
    ids = [json.loads(b["payload"].removeprefix("/choose_faq"))["faq_id"] for b in choices]
    assert "returns-fee" in ids
    titles = {b["title"] for b in choices}
    assert "who pays return shipping" in titles or "how long does a refund take" in titles  # English variants
    assert none == {"title": "None of these", "payload": "/reject_choices"}
    assert slots(events)["kb_pending_question"] == "退款和退货运费"

    # Asking something else instead of choosing queues the ignored clarification.
    dispatcher.messages.clear()
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="how do I reset my password",
        slots={"language": "en", "kb_pending_question": "退款和退货运费"})
    assert [i["kind"] for i in review_items(kb)] == ["ignored_clarification"]


def test_choosing_an_offered_entry_answers_it(kb, dispatcher, domain) -> None:
    events = run(faq.ActionAnswerChosenFaq(), dispatcher, domain,
                 slots={"language": "en", "faq_id": "refund-time", "kb_pending_question": "money back?"})
    assert dispatcher.messages[0]["answer"] == "Refunds take 1–3 business days."
    assert slots(events)["kb_last_faq_id"] == "refund-time"
    dispatcher.messages.clear()
    run(faq.ActionAnswerChosenFaq(), dispatcher, domain, slots={"faq_id": "deleted-entry"})
    assert dispatcher.messages[0]["response"] == "utter_faq_choice_gone"


def test_rejecting_the_choices_queues_the_question(kb, dispatcher, domain) -> None:
    run(faq.ActionRejectFaqChoices(), dispatcher, domain, slots={"kb_pending_question": "积分能换机票吗"})
    assert dispatcher.messages[0]["response"] == "utter_faq_unknown"
    assert [(i["kind"], i["text"]) for i in review_items(kb)] == [("ignored_clarification", "积分能换机票吗")]


def test_not_helpful_queues_the_failed_answer(kb, dispatcher, domain) -> None:
    run(faq.ActionRecordFaqFeedback(), dispatcher, domain, intent="feedback_not_helpful",
        slots={"kb_last_faq_id": "returns-fee", "kb_last_question": "退货运费谁出"})
    assert dispatcher.messages[0]["response"] == "utter_feedback_sorry"
    [item] = review_items(kb)
    assert (item["kind"], item["failed_faq_id"], item["text"]) == ("unhelpful", "returns-fee", "退货运费谁出")
    dispatcher.messages.clear()
    run(faq.ActionRecordFaqFeedback(), dispatcher, domain, intent="feedback_helpful")
    assert dispatcher.messages[0]["response"] == "utter_feedback_thanks"


def test_a_missing_index_gets_an_honest_reply(settings, embedder, dispatcher, domain, monkeypatch) -> None:  # noqa: F811
    monkeypatch.setattr(kb_client, "knowledge_base", lambda: service.knowledge_base(settings))
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="退货运费谁出")
    assert dispatcher.messages[0]["response"] == "utter_faq_unavailable"


def test_domain_text_reads_wording_from_the_domain(domain) -> None:
    assert faq.domain_text(domain, "utter_faq_none_button", "zh") == "都不是"
    # Without the domain in the call (Rasa's selective domain), from the domain files.
    assert faq.domain_text({}, "utter_faq_none_button", "zh") == "都不是"
    assert faq.domain_text({}, "utter_faq_none_button", "en") == faq.domain_text(domain, "utter_faq_none_button", "en")


def test_a_complaint_routed_to_the_kb_is_acknowledged_before_the_answer(kb, dispatcher, domain) -> None:
    tracker = make_tracker(slots={"language": "zh"}, text="退货运费到底谁出，太烦了", intent="ask_question")
    tracker.latest_message["kb_route"] = {"intent": "complain", "routed_from": "complain"}
    asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_complaint_heard", "utter_faq_answer"]

    # The escalation policy already acknowledged the feeling this turn: one apology is enough.
    dispatcher.messages.clear()
    tracker.events = [{"event": "user", "text": "退货运费到底谁出，太烦了"},
                      {"event": "action", "name": "action_acknowledge_feeling"}]
    asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_answer"]


def test_an_off_topic_message_is_declined_and_queued_apart_from_shop_questions(kb, dispatcher, domain) -> None:
    run(faq.ActionDeclineOffTopic(), dispatcher, domain, text="给我写一首关于月亮的诗", slots={"language": "zh"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_out_of_scope"]
    run(faq.ActionAnswerFaq(), CollectingDispatcher(), domain, text="你们有实体店吗", slots={"language": "zh"})
    queue = service.review_queue(kb)
    [off_topic] = queue.clusters(topic="off_topic")
    [shop] = queue.clusters(topic="shop")
    assert off_topic.kinds == {"off_topic": 1} and off_topic.examples == ["给我写一首关于月亮的诗"]
    assert shop.kinds == {"unresolved": 1}


def test_typed_words_classified_as_a_choice_are_answered_as_a_question(kb, dispatcher, domain) -> None:
    run(faq.ActionAnswerChosenFaq(), dispatcher, domain, text="退货的邮费谁来出", intent="choose_faq",
        slots={"language": "zh"})
    assert [m["response"] for m in dispatcher.messages] == ["utter_faq_answer"]
    assert dispatcher.messages[0]["answer"].startswith("七天无理由退货")


def test_right_after_an_order_lookup_an_order_follow_up_goes_back_to_the_order_form(kb, dispatcher, domain) -> None:
    tracker = make_tracker(slots={"language": "zh"}, text="都三天了还没动静，你们到底怎么回事", intent="ask_question")
    tracker.latest_message["kb_route"] = {"intent": "check_order_status", "routed_from": "check_order_status"}
    tracker.events = [{"event": "user", "text": "我的订单2024061512345怎么还没发货"},
                      {"event": "action", "name": "order_status_form"},
                      {"event": "action", "name": "action_check_order_status"},
                      {"event": "action", "name": "action_listen"},
                      {"event": "user", "text": "都三天了还没动静，你们到底怎么回事"}]
    events = asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert events == [{"event": "followup", "timestamp": None, "name": "order_status_form"}]
    assert dispatcher.messages == [] and review_items(kb) == []

    # Without the lookup just before, the same message is the knowledge base's to answer or queue.
    tracker.events = tracker.events[-1:]
    asyncio.run(faq.ActionAnswerFaq().run(dispatcher, tracker, domain))
    assert dispatcher.messages and dispatcher.messages[-1]["response"].startswith("utter_faq_")


def test_a_customer_of_a_tier_gets_that_tiers_answer(kb, domain) -> None:
    store = service.store(kb)
    entry = store.get("returns-fee")
    entry.tier_answers = {"金卡": {"zh": "金卡会员退货免运费，快递员免费上门取件。"}}
    store.save(entry, "ops")
    service.publish(kb)

    def answer(**slots: str) -> dict:
        dispatcher = CollectingDispatcher()
        run(faq.ActionAnswerFaq(), dispatcher, domain, text="退货的邮费谁来出" if slots["language"] == "zh"
            else "who pays return shipping", slots=slots)
        return dispatcher.messages[-1]

    gold = answer(language="zh", customer_tier="金卡")
    assert (gold["answer"], gold["answer_tier"]) == ("金卡会员退货免运费，快递员免费上门取件。", "金卡")
    assert answer(language="zh")["answer"] == "七天无理由退货运费¥10，质量问题由我们承担。"  # everyone else
    # The tier has no English answer: an English-speaking gold member gets the entry's.
    english = answer(language="en", customer_tier="金卡")
    assert english["answer"] == "No-reason returns cost ¥10; we pay for quality issues."


def test_after_an_answer_the_questions_customers_often_ask_next_are_offered(kb, domain, monkeypatch) -> None:
    monkeypatch.setattr(kb_client, "follow_ups_of",
                        lambda faq_id: ["refund-time", "gone-since"] if faq_id == "returns-fee" else [])
    dispatcher = CollectingDispatcher()
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="退货的邮费谁来出", slots={"language": "zh"})
    answer, offer = dispatcher.messages
    assert answer["faq_id"] == "returns-fee" and offer["response"] == "utter_faq_follow_ups"
    # Titled in the customer's language; an entry no longer published is not offered.
    [button] = offer["buttons"]
    assert button["payload"] == '/choose_faq{"faq_id": "refund-time"}' and button["title"] == "退款多久到账"
    chosen = CollectingDispatcher()
    run(faq.ActionAnswerChosenFaq(), chosen, domain, text=button["payload"], slots={"language": "zh",
                                                                                    "faq_id": "refund-time"})
    assert chosen.messages[0]["faq_id"] == "refund-time" and len(chosen.messages) == 1


def test_an_ignored_clarification_is_queued_with_the_vector_already_kept(kb, dispatcher, domain, monkeypatch) -> None:
    # The question was embedded when the choices were offered; the review queue is given that vector, not a new pass.
    strict = service.knowledge_base(kb)
    strict.thresholds = Thresholds(answer=1.01, margin=0, clarify=0.0, window=1.0)
    monkeypatch.setattr(kb_client, "knowledge_base", lambda: strict)
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="退款和退货运费", slots={"language": "zh"})
    kept = kb_client.recent("退款和退货运费", ("zh",))
    assert kept is not None
    given = []
    from knowledge_base.review import ReviewQueue

    record = ReviewQueue.record
    monkeypatch.setattr(ReviewQueue, "record", lambda self, **kw: given.append(kw["vector"]) or record(self, **kw))
    run(faq.ActionAnswerFaq(), dispatcher, domain, text="how do I reset my password",
        slots={"language": "en", "kb_pending_question": "退款和退货运费"})
    assert len(given) == 1 and given[0] is kept.vector
    assert [i["kind"] for i in review_items(kb)] == ["ignored_clarification"]
    # A question nobody asked lately has no kept result: the queue embeds it itself.
    assert kb_client.recent("没人问过的问题") is None
