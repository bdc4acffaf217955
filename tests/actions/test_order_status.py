import asyncio
import re
from pathlib import Path

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.order_status import ActionCheckOrderStatus, ValidateOrderStatusForm
from desk.queue import QueueRules
from desk.store import DeskStore
from kefu.order_numbers import ORDER_NUMBER, find_order_number
from kefu.orders import DemoOrderBook, OrderServiceError, parse_order
from tests.actions.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("我的订单号是KF20231123018", "KF20231123018"),
        ("order kf20231123018 please", "KF20231123018"),
        ("2023112300012345", "2023112300012345"),
        ("订单号：２０２３１１２３０００１２３４５", "2023112300012345"),  # full-width digits
        ("123456789", None),  # too short
        ("12345678901234567", None),  # too long
        ("no number here", None),
        ("", None),
    ],
)
def test_find_order_number(text: str, number: str | None) -> None:
    assert find_order_number(text) == number


def test_action_regex_matches_the_nlu_regex() -> None:
    data = yaml.safe_load((ROOT / "training_data" / "nlu" / "orders.yml").read_text(encoding="utf-8"))
    regexes = [item for item in data["nlu"] if item.get("regex") == "order_number"]
    patterns = [line.strip()[2:] for line in regexes[0]["examples"].splitlines() if line.strip()]
    assert patterns == [ORDER_NUMBER.pattern]
    re.compile(patterns[0])


def test_validation_keeps_a_number_found_in_free_text(dispatcher, domain) -> None:
    result = ValidateOrderStatusForm().validate_order_number(
        "是 kf20231123018 这个", dispatcher, make_tracker(), domain
    )
    assert result == {"order_number": "KF20231123018"}
    assert dispatcher.messages == []


def test_validation_rejects_and_explains(dispatcher, domain) -> None:
    result = ValidateOrderStatusForm().validate_order_number("不知道啊", dispatcher, make_tracker(), domain)
    assert result == {"order_number": None}
    assert [m["response"] for m in dispatcher.messages] == ["utter_invalid_order_number"]


def _run(slots, dispatcher, domain):
    return asyncio.run(ActionCheckOrderStatus().run(dispatcher, make_tracker(slots), domain))


@pytest.fixture
def desk(tmp_path, monkeypatch) -> DeskStore:
    store = DeskStore(f"sqlite:///{tmp_path / 'desk.db'}", QueueRules())
    monkeypatch.setattr("actions.order_status.shared_store", lambda: store)
    return store


def test_shipped_order_is_told_with_carrier_in_the_customers_language(dispatcher, domain, desk) -> None:
    events = _run({"order_number": "KF20231123018", "language": "en"}, dispatcher, domain)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_order_status_shipped"
    assert message["carrier"] == "SF Express"
    assert message["tracking_number"] == "SF1402938475612"
    assert events == [{"event": "slot", "timestamp": None, "name": "order_number", "value": None}]


def test_a_late_order_gets_an_apology_and_the_bots_coupon_once(dispatcher, domain, desk) -> None:
    # KF20231123018 was promised for 2026-11-25 and is still on its way.
    _run({"order_number": "KF20231123018", "language": "zh"}, dispatcher, domain)
    status, apology = dispatcher.messages
    assert status["response"] == "utter_order_status_shipped"
    assert apology["response"] == "utter_compensation_late_order" and apology["what"] == "一张 10 元优惠券"
    assert apology["code"].startswith("CPN-") and apology["eta"] == "2026-11-25"
    [granted] = desk.compensations()
    assert (granted["status"], granted["requested_by"], granted["value"]) == ("granted", "bot", 10)
    again = CollectingDispatcher()
    _run({"order_number": "KF20231123018", "language": "zh"}, again, domain)
    assert again.messages[1]["response"] == "utter_compensation_late_order_given"
    assert again.messages[1]["code"] == apology["code"] and len(desk.compensations()) == 1
    on_time = CollectingDispatcher()
    _run({"order_number": "2023112300012345", "language": "zh"}, on_time, domain)  # delivered
    assert [m["response"] for m in on_time.messages] == ["utter_order_status_delivered"]


def test_the_apologies_are_in_the_domain(domain) -> None:
    for response in ("utter_compensation_late_order", "utter_compensation_late_order_given",
                     "utter_compensation_granted", "utter_compensation_pending", "utter_compensation_approved",
                     "utter_compensation_declined"):
        texts = [v["text"] for v in domain["responses"][response]]
        assert len(texts) == 2 and all("{what}" in t for t in texts)


def test_every_demo_status_has_a_response(domain) -> None:
    records = yaml.safe_load((ROOT / "kefu" / "demo_orders.yml").read_text(encoding="utf-8"))
    for record in records:
        assert f"utter_order_status_{record['status']}" in domain["responses"]


def test_unknown_order_is_said_honestly(dispatcher, domain, desk) -> None:
    _run({"order_number": "KF99999999999"}, dispatcher, domain)
    assert dispatcher.messages[0]["response"] == "utter_order_not_found"
    assert dispatcher.messages[0]["order_number"] == "KF99999999999"


def test_order_system_failure_is_said_honestly(dispatcher, domain, monkeypatch) -> None:
    class Broken:
        async def get(self, number):
            raise OrderServiceError("down")

    monkeypatch.setattr("actions.order_status._orders", lambda: Broken())
    _run({"order_number": "KF20231123018"}, dispatcher, domain)
    assert dispatcher.messages[0]["response"] == "utter_order_service_down"


def test_demo_book_and_record_validation() -> None:
    book = DemoOrderBook()
    assert asyncio.run(book.get("1234567890")).status == "pending_payment"
    with pytest.raises(OrderServiceError):
        parse_order({"number": "1", "status": "teleported"})
