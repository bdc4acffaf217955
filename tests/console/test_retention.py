"""`python -m console purge` and `forget`: conversations go from the tracker store, the desk and the review queue,
and a search of the whole database finds none of the removed values afterwards."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert

from console.__main__ import main
from desk.attachments import FileStore, check_upload
from desk.service import desk_store
from kefu.config import Settings, get_settings
from kefu.db import make_engine, utcnow
from kefu.retention import Retention, parse_age
from knowledge_base.db import ReviewCluster, ReviewItem
from knowledge_base.db import session_factory as kb_sessions
from tests.support.files import image

PHONE = "13712345678"
EMAIL = "old.customer@example.com"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    get_settings.cache_clear()  # `main` reads the settings of this test's environment, not an earlier test's
    return Settings(data_dir=tmp_path)


def _rasa_events(settings: Settings, rows: list[tuple[str, float, str]]) -> None:
    # The columns of Rasa's SQL tracker store that the purge reads.
    engine = make_engine(settings.tracker_url)
    events = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                   Column("type_name", String(255)), Column("timestamp", Float), Column("data", Text))
    events.metadata.create_all(engine)
    with engine.begin() as c:
        for sender, ts, text in rows:
            c.execute(insert(events).values(sender_id=sender, type_name="user", timestamp=ts,
                                            data=json.dumps({"event": "user", "text": text}, ensure_ascii=False)))


def _seed(settings: Settings) -> None:
    now = utcnow().timestamp()
    old = now - 200 * 86400
    _rasa_events(settings, [("old-web", old, f"my phone is {PHONE}"), ("wechat:o123", now, f"邮箱{EMAIL}"),
                            ("web-2", now, f"call {PHONE} please"), ("fresh", now, "where is my order")])
    store = desk_store(settings)
    e = store.create_escalation("web-2", channel="socketio", language="en", tier="regular", trigger="request",
                                reason="asked", frustration=0.1,
                                summary={"last_messages": [{"role": "customer", "text": f"call {PHONE}"}]})[0]
    store.add_customer_message("web-2", f"again: {PHONE}", sentiment=None, frustration=None, source_id="x1")
    photo = image("PNG")
    token, key = FileStore(settings.attachments_path).put(photo, "png")
    store.add_attachment("web-2", "customer", check_upload("id-card.png", photo, 100_000), token, key)
    store.add_customer_message("web-2", "[图片]", sentiment=None, frustration=None, source_id="x2", attachment=token)
    store.resolve(e["id"], store.claim(e["id"], store.create_agent(
        "ann", display_name="Ann", role="agent", password_hash="x")["id"])["agent"]["id"])
    store.record_rating("web-2", 5)
    store.add_rating_comment("web-2", "thanks, my number is " + PHONE)
    store.create_ticket("wechat:o123", channel="wechat", language="zh", message="请发邮件", contact=EMAIL)
    with kb_sessions(settings.kb_url)() as s, s.begin():
        cluster = ReviewCluster(status="open", topic="shop", count=1, first_seen=utcnow(), last_seen=utcnow(),
                                centroid=b"\0" * 16)
        s.add(cluster)
        s.flush()
        s.add(ReviewItem(kind="unresolved", text=f"invoice to {EMAIL}", lang="en", conversation_id="wechat:o123",
                         channel="wechat", candidates=[], cluster_id=cluster.id, created_at=utcnow()))


def _database_text(settings: Settings) -> str:
    path = settings.tracker_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        return "\n".join(str(row) for t in tables for row in db.execute(f'select * from "{t}"'))


def test_ages_are_parsed() -> None:
    assert parse_age("180d") == timedelta(days=180) and parse_age("12w") == timedelta(weeks=12)
    assert parse_age("36h") == timedelta(hours=36) and parse_age("30") == timedelta(days=30)
    with pytest.raises(ValueError, match="positive number"):
        parse_age("soon")


def test_purge_removes_only_what_is_past_the_period(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(settings)
    assert main(["purge", "--older-than", "180d", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] and dry["conversation_ids"] == ["old-web"] and dry["removed"]["tracker_events"] == 1
    assert "old-web" in _database_text(settings)  # a dry run removes nothing
    assert main(["purge"]) == 0  # KEFU_RETENTION_DAYS: 180
    assert capsys.readouterr().out.startswith("removed 1 conversations")
    text = _database_text(settings)
    assert "old-web" not in text and "fresh" in text and "web-2" in text


def test_forget_me_leaves_no_trace_across_channels(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(settings)
    assert PHONE in _database_text(settings) and EMAIL in _database_text(settings)
    assert main(["forget", "--value", PHONE, "--value", EMAIL, "--json"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert sorted(report["conversation_ids"]) == ["old-web", "web-2", "wechat:o123"]
    assert report["removed"]["escalations"] == 1 and report["removed"]["review_items"] == 1
    assert report["removed"]["attachments"] == 1 and not list(settings.attachments_path.rglob("*.png"))
    text = _database_text(settings)
    assert PHONE not in text and EMAIL not in text
    for conversation in ("old-web", "wechat:o123", "web-2"):
        assert conversation not in text
    assert "fresh" in text
    assert [r["score"] for r in desk_store(settings).ratings()] == [5]  # kept for CSAT, anonymised
    entry = desk_store(settings).audit_log()[0]
    assert entry["action"] == "forget" and entry["detail"]["conversations"] == 3


def test_forget_a_shop_customer_removes_their_conversations_on_every_channel(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    now = utcnow().timestamp()
    _rasa_events(settings, [("web-7", now, "我的订单KF20231123018"), ("rest-7", now, "hello"),
                            ("stranger", now, "hi")])
    store = desk_store(settings)
    store.link_customer("u-7", "web-7", "socketio")
    store.link_customer("u-7", "rest-7", "rest")
    store.link_customer("u-8", "stranger", "rest")
    assert main(["forget", "--customer", "u-7", "--json"]) == 0
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert sorted(report["conversation_ids"]) == ["rest-7", "web-7"] and report["removed"]["customer_links"] == 2
    # The bot remembers nothing of them: no events, no link that would join a new conversation to the old ones.
    assert store.linked_conversations("web-7") == ["web-7"] and store.customer_conversations("u-7") == []
    assert "KF20231123018" not in _database_text(settings) and store.linked_conversations("stranger") == [
        "stranger"] and store.customer_conversations("u-8") == ["stranger"]


def test_a_live_hand_over_is_kept(settings: Settings) -> None:
    _rasa_events(settings, [("live", utcnow().timestamp(), f"call {PHONE}")])
    desk_store(settings).create_escalation("live", channel="socketio", language="en", tier="regular",
                                           trigger="request", reason="asked", frustration=0.1, summary={})
    report = Retention(settings).forget(["live"], [])
    assert report.skipped_active == ["live"] and report.conversations == []


def test_forget_needs_someone_to_forget(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["forget"]) == 2
    assert "--conversation" in capsys.readouterr().err
