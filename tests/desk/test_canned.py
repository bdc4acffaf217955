"""Canned replies: templates with variables and fallbacks, an admin's edits, the values a conversation fills in."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from desk import templates
from desk.errors import ConflictError, InvalidInputError, NotFoundError
from desk.store import DeskStore
from tests.desk.conftest import escalate


def test_variables_are_filled_and_missing_ones_fall_back() -> None:
    values = {"customer_name": "王芳", "order_id": None, "agent_name": "Ann"}
    assert templates.fill("{customer_name}您好，我是{agent_name}，查一下{order_id}", values, "zh") == \
        "王芳您好，我是Ann，查一下您的订单"
    assert templates.fill("Hi {customer_name}, about {order_id|the order}.", {}, "en") == \
        "Hi there, about the order."
    assert templates.fill("您好{customer_name|}！", {}, "zh") == "您好！"  # an empty fallback: nothing
    assert templates.fill("{{literal}} {agent_name}", {"agent_name": "Bob"}, "en") == "{literal} Bob"


def test_a_template_names_its_problems() -> None:
    assert templates.problems("Hi {customer_name|亲}, {order_id}") == []
    found = templates.problems("Hi {name}, {order_id} {")
    assert any("unknown variable {name}" in p for p in found)
    assert any("brace" in p for p in found)
    assert templates.problems("{{ok}}") == []
    assert "fallback" in templates.problems("{customer_name|" + "x" * 41 + "}")[0]


def test_the_defaults_are_there_with_shortcuts_and_variables(store: DeskStore) -> None:
    zh = store.canned("zh")
    assert {c["shortcut"] for c in zh} == {"hi", "wait", "refund", "bye"}
    assert all(templates.problems(c["text"]) == [] for c in store.canned())
    assert any("{agent_name}" in c["text"] for c in zh)


def test_an_admin_creates_edits_and_deletes_a_reply(store: DeskStore) -> None:
    before = store.last_event_id()
    made = store.create_canned("zh", "发票", "{customer_name|亲}，电子发票会在收货后 24 小时内发到邮箱。", "/Invoice")
    assert made["shortcut"] == "invoice" and made["updated_at"]
    assert store.canned_reply(made["id"])["title"] == "发票"
    changed = store.update_canned(made["id"], "zh", "发票（新）", "{customer_name|亲}，发票随包裹寄出。", "fp")
    assert (changed["title"], changed["shortcut"]) == ("发票（新）", "fp")
    store.delete_canned(made["id"])
    with pytest.raises(NotFoundError):
        store.canned_reply(made["id"])
    pushed = [(kind, payload) for _, kind, payload in store.events_after(before)]
    assert [kind for kind, _ in pushed] == ["canned", "canned", "canned"]
    assert pushed[-1][1] == {"id": made["id"], "deleted": True}  # every desk drops it from its list


def test_bad_replies_are_refused_with_the_reason(store: DeskStore) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown variable \{name\}"):
        store.create_canned("en", "Hello", "Hi {name}", "hello")
    with pytest.raises(InvalidInputError, match="language"):
        store.create_canned("fr", "Bonjour", "Bonjour", None)
    with pytest.raises(InvalidInputError, match="shortcut"):
        store.create_canned("en", "Hello", "Hi", "two words")
    with pytest.raises(InvalidInputError, match="empty"):
        store.create_canned("en", "Hello", "   ", None)
    with pytest.raises(ConflictError, match="/hi is taken"):
        store.create_canned("en", "Another greeting", "Hello!", "hi")
    store.create_canned("en", "Hi in Chinese desks too", "Hello!", "hello")
    store.create_canned("zh", "同名不同语言", "你好！", "hello")  # a shortcut is unique per language only
    with pytest.raises(NotFoundError):
        store.update_canned(999, "en", "x", "y", None)
    with pytest.raises(NotFoundError):
        store.delete_canned(999)


def test_the_conversation_fills_name_order_and_agent(store: DeskStore) -> None:
    e = escalate(store, "c1")
    values = store.template_values(e["id"], "Ann")
    assert values == {"customer_name": None, "order_id": None, "agent_name": "Ann"}
    store.create_escalation("c2", channel="socketio", language="zh", tier="regular", trigger="request",
                            reason="asked", frustration=0.2,
                            summary={"last_messages": [], "customer_name": "王芳", "order_number": "KF20231123018"})
    second = store.active_for("c2")
    assert second is not None
    assert store.template_values(second["id"], "Ann")["order_id"] == "KF20231123018"
    # A number the customer gives the agent later wins over the one the bot saw.
    store.add_customer_message("c2", "订单号是 2023112300012345", sentiment=None, frustration=None, source_id="m1")
    filled = {c["shortcut"]: c["filled"] for c in store.canned_for(second["id"], "Ann", "zh")}
    assert filled["hi"].startswith("王芳好，我是人工客服Ann")
    assert filled["wait"] == "好的，我帮您查一下2023112300012345，请稍等一两分钟。"


def test_the_latest_question_skips_messages_that_say_nothing(store: DeskStore) -> None:
    store.create_escalation("c3", channel="socketio", language="zh", tier="regular", trigger="request",
                            reason="asked", frustration=0.2,
                            summary={"last_messages": [{"role": "customer", "text": "发票怎么开"},
                                                       {"role": "bot", "text": "请问您要开什么发票？"},
                                                       {"role": "customer", "text": "转人工"}]})
    e = store.active_for("c3")
    assert e is not None
    assert store.latest_question(e["id"]) == "发票怎么开"  # "转人工" asks for a person, nothing more
    store.add_customer_message("c3", "在吗？？", sentiment=None, frustration=None, source_id="m2")
    assert store.latest_question(e["id"]) == "发票怎么开"
    store.add_customer_message("c3", "退货运费谁出", sentiment=None, frustration=None, source_id="m3")
    assert store.latest_question(e["id"]) == "退货运费谁出"


def test_the_migration_turns_the_old_defaults_into_templates(tmp_path: Path) -> None:
    """A database from before revision 0003 holds the old defaults (no shortcuts): they get shortcuts and variables,
    and an edit-free table is never seeded twice."""
    from alembic import command
    from alembic.config import Config

    from desk.db import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as c:
        config.attributes["connection"] = c
        command.upgrade(config, "0002")
    with engine.begin() as c:
        c.execute(text("INSERT INTO desk_canned_replies (language, title, text) VALUES "
                       "('zh', '稍等', '好的，我帮您查一下，请稍等一两分钟。'), ('en', 'Mine', 'My own words')"))
    engine.dispose()
    store = DeskStore(url)
    rows = {c["title"]: c for c in store.canned()}
    assert rows["稍等"]["shortcut"] == "wait" and "{order_id}" in rows["稍等"]["text"]
    assert rows["Mine"]["text"] == "My own words" and rows["Mine"]["shortcut"] is None
    assert len(rows) == 2
