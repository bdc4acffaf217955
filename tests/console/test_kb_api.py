"""The ops console's knowledge-base API: entries, history and rollback, import/export, try-it, the review queue.

Runs the real embedding model on a small KB in a throw-away database; every publish builds a real index."""

from __future__ import annotations

import csv
import io as stdio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from console.core.security import hash_password
from kefu.config import Settings
from knowledge_base import service
from knowledge_base.io import EntryData
from tests.console.conftest import PASSWORD, FakeRasa, sign_in
from tests.knowledge_base.conftest import ENTRIES, MODEL


@pytest.fixture
def kb(settings: Settings, store: Any) -> Settings:
    """The conftest's desk users plus an admin, and a published four-entry KB in the console's database."""
    if not MODEL.exists():
        pytest.fail("the embedding model is missing: run `make kb`")
    store.create_agent("ada", display_name="Ada", role="admin", password_hash=hash_password(PASSWORD))
    service.store(settings).import_entries([EntryData.from_snapshot(e.snapshot()) for e in ENTRIES], author="test")
    service.publish(settings)
    return settings


@pytest.fixture
def ops(kb: Settings, app_and_rasa: tuple[Any, FakeRasa]) -> Iterator[TestClient]:
    app, rasa = app_and_rasa
    client = sign_in(app, rasa, "olga")
    yield client
    client.__exit__(None, None, None)


def record(settings: Settings, text: str, lang: str, channel: str = "socketio", kind: str = "unresolved") -> int:
    """A failure in the review queue, as the FAQ action writes it; returns the cluster id."""
    _, cluster_id = service.review_queue(settings).record(text=text, kind=kind, lang=lang, conversation_id="c-" + text,
                                                          channel=channel, candidates=[])
    return cluster_id


def test_only_ops_and_admins_reach_the_kb(kb: Settings, app_and_rasa: tuple[Any, FakeRasa]) -> None:
    app, rasa = app_and_rasa
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/kb/entries").status_code == 401
        assert anonymous.get("/ops", follow_redirects=False).headers["location"] == "/login?next=/ops"
    agent = sign_in(app, rasa, "ann")
    assert agent.get("/api/kb/entries").status_code == 403
    assert agent.get("/api/kb/review/clusters").status_code == 403
    assert agent.get("/ops", follow_redirects=False).headers["location"] == "/desk"
    admin = sign_in(app, rasa, "ada")
    assert admin.get("/api/kb/entries").status_code == 200
    assert admin.get("/ops").status_code == 200
    olga = sign_in(app, rasa, "olga")
    assert olga.get("/", follow_redirects=False).headers["location"] == "/ops"
    # Changes need the CSRF header like every other change in the console.
    olga.headers.pop("X-CSRF-Token")
    assert olga.post("/api/kb/try", json={"text": "退款多久到账"}).status_code == 403


def test_list_filters_and_meta(ops: TestClient) -> None:
    everything = ops.get("/api/kb/entries").json()
    assert everything["total"] == 4
    row = next(e for e in everything["entries"] if e["id"] == "returns-fee")
    assert row["questions"] == {"zh": 3, "en": 2} and row["title"]["zh"] == "退货运费谁出"
    assert row["revision"] == 1 and row["author"] == "test"
    assert [e["id"] for e in ops.get("/api/kb/entries", params={"category": "returns"}).json()["entries"]] == [
        "refund-time", "returns-fee"]
    english = {e["id"] for e in ops.get("/api/kb/entries", params={"lang": "en"}).json()["entries"]}
    assert english == {"refund-time", "returns-fee", "password-reset"}
    assert [e["id"] for e in ops.get("/api/kb/entries", params={"q": "税号"}).json()["entries"]] == ["invoice-vat"]
    meta = ops.get("/api/kb/meta").json()
    assert meta["categories"] == ["account", "invoices", "returns"] and meta["index_version"] >= 1
    # The served model was tuned on the demo KB (the shipped delta): most of these four entries' questions are new.
    drift = meta["embedder"]
    assert drift["delta"] == "shipped" and drift["published_questions"] == 13
    assert drift["retune"] is (drift["new_share"] >= drift["retune_share"] == 0.3)
    assert ops.get("/api/kb/entries/nope").status_code == 404


def test_create_edit_history_rollback_and_draft(ops: TestClient) -> None:
    new = {"id": "gift-wrap", "category": "orders", "status": "published",
           "answers": {"zh": "下单时勾选“礼品包装”，每件加收5元。", "en": "Tick 'gift wrap' at checkout; ¥5 per item."},
           "variants": {"zh": ["可以礼品包装吗", "能帮我包装成礼物吗"], "en": ["can you gift wrap my order"]}}
    created = ops.post("/api/kb/entries", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["published"] is True and created.json()["entry"]["revision"] == 1
    assert ops.post("/api/kb/entries", json=new).status_code == 409

    tried = ops.post("/api/kb/try", json={"text": "能不能包装成礼物"}).json()
    assert tried["decision"] == "answer", tried
    assert tried["reply"]["faq_id"] == "gift-wrap" and tried["lang"] == "zh"
    assert tried["candidates"][0]["score"] >= tried["thresholds"]["answer"]

    edited = {**new, "answers": {**new["answers"], "zh": "下单时勾选“礼品包装”，每件加收8元。"}, "base_revision": 1}
    assert ops.put("/api/kb/entries/gift-wrap", json=edited).status_code == 200
    stale = ops.put("/api/kb/entries/gift-wrap", json={**edited, "category": "gifts"})
    assert stale.status_code == 409 and "revision 2" in stale.json()["detail"]

    history = ops.get("/api/kb/entries/gift-wrap/revisions").json()
    assert [r["number"] for r in history] == [2, 1] and history[0]["author"] == "olga"
    [answer_change] = [c for c in history[0]["changes"] if c["field"] == "answer"]
    assert answer_change["lang"] == "zh"
    assert {"op": "delete", "text": "5"} in answer_change["segments"]
    assert {"op": "insert", "text": "8"} in answer_change["segments"]
    assert history[1]["changes"][0]["field"] == "created"

    rolled = ops.post("/api/kb/entries/gift-wrap/rollback", json={"number": 1}).json()
    assert rolled["entry"]["answers"]["zh"] == new["answers"]["zh"] and rolled["entry"]["revision"] == 3
    assert ops.get("/api/kb/entries/gift-wrap").json()["answers"]["zh"] == new["answers"]["zh"]

    drafted = ops.post("/api/kb/entries/gift-wrap/status", json={"status": "draft"}).json()
    assert drafted["published"] is True  # unpublishing republishes the index without it
    tried = ops.post("/api/kb/try", json={"text": "能不能包装成礼物"}).json()
    assert all(c["faq_id"] != "gift-wrap" for c in tried["candidates"])


def test_ops_edit_an_entrys_answers_per_customer_tier(ops: TestClient) -> None:
    entry = {"id": "gift-wrap", "category": "orders", "status": "published",
             "answers": {"zh": "礼品包装每件加收5元。"}, "variants": {"zh": ["可以礼品包装吗"]},
             "tier_answers": {" 金卡 ": {"zh": " 金卡会员礼品包装免费。 "}}}
    created = ops.post("/api/kb/entries", json=entry)
    assert created.status_code == 201, created.text
    assert created.json()["entry"]["tier_answers"] == {"金卡": {"zh": "金卡会员礼品包装免费。"}}
    edited = {**entry, "base_revision": 1,
              "tier_answers": {"金卡": {"zh": "金卡会员礼品包装免费，还送贺卡。"}, "vip": {"en": "Free for VIPs."}}}
    assert ops.put("/api/kb/entries/gift-wrap", json=edited).status_code == 200
    assert ops.get("/api/kb/entries/gift-wrap").json()["tier_answers"]["vip"] == {"en": "Free for VIPs."}
    [newest, _] = ops.get("/api/kb/entries/gift-wrap/revisions").json()
    tiers = [(c["tier"], c["lang"]) for c in newest["changes"] if c["field"] == "tier_answer"]
    assert tiers == [("vip", "en"), ("金卡", "zh")]
    exported = ops.get("/api/kb/export", params={"format": "jsonl"}).text
    assert '"tier": "vip"' in exported and "Free for VIPs." in exported
    for bad in ({"": {"zh": "x"}}, {"金卡": {"zh": " "}}, {"金卡": {"zh": "a"}, "金卡 ": {"zh": "b"}},
                {"t" * 40: {"zh": "x"}}):
        refused = ops.put("/api/kb/entries/gift-wrap", json={**edited, "tier_answers": bad})
        assert refused.status_code == 422, bad


def test_ops_recount_see_and_switch_the_follow_up_questions(kb: Settings, ops: TestClient) -> None:
    from tests.knowledge_base.test_follow_ups import Conversations

    talk = Conversations(kb.tracker_url)
    for i in range(4):
        talk.session(f"c{i}", "returns-fee", "refund-time")
    assert ops.get("/api/kb/follow-ups", params={"entry_id": "returns-fee"}).json()["suggestions"] == []
    counted = ops.post("/api/kb/follow-ups/recompute").json()
    assert counted["suggestions"] == 1 and counted["min_count"] == kb.kb_follow_up_min_count
    listed = ops.get("/api/kb/follow-ups", params={"entry_id": "returns-fee"}).json()
    [found] = listed["suggestions"]
    assert (found["next_id"], found["count"], found["enabled"], found["offered"]) == ("refund-time", 4, True, True)
    assert found["titles"] == {"zh": "退款多久到账", "en": "how long does a refund take"}
    off = ops.put("/api/kb/follow-ups/returns-fee/refund-time", json={"enabled": False}).json()
    assert (off["enabled"], off["offered"]) == (False, False)
    assert ops.put("/api/kb/follow-ups/returns-fee/nope", json={"enabled": False}).status_code == 404
    ops.post("/api/kb/follow-ups/recompute")
    assert ops.get("/api/kb/follow-ups").json()["suggestions"][0]["enabled"] is False  # ops' choice stays


def test_entry_validation_names_the_problem(ops: TestClient) -> None:
    bad = ops.post("/api/kb/entries", json={"id": "x y", "answers": {"zh": " "}, "variants": {"fr": ["q"]}})
    assert bad.status_code == 422
    fields = {tuple(d["loc"][1:2]) for d in bad.json()["detail"]}
    assert {("id",), ("answers",), ("variants",)} <= fields


def test_import_reports_bad_rows_and_imports_nothing(ops: TestClient) -> None:
    text = ("id,category,lang,question,answer\n"
            "ship-1,shipping,zh,多久发货,付款后48小时内发货\n"
            "ship 2,shipping,zh,能加急吗,\n"
            "ship-3,shipping,fr,quand,bientôt\n")
    resp = ops.post("/api/kb/import", params={"format": "csv", "filename": "faq.csv"}, content=text.encode())
    assert resp.status_code == 422
    problems = resp.json()["problems"]
    assert any(p.startswith("line 3:") and "`id`" in p for p in problems)
    assert any(p.startswith("line 4:") and "`lang`" in p for p in problems)
    assert ops.get("/api/kb/entries").json()["total"] == 4
    broken = ops.post("/api/kb/import", params={"format": "xlsx"}, content=b"not a zip")
    assert broken.status_code == 422 and "XLSX" in broken.json()["problems"][0]
    assert ops.post("/api/kb/import", params={"format": "csv"}, content=b"").status_code == 422
    assert ops.post("/api/kb/import", params={"format": "exe"}, content=b"x").status_code == 422


def test_import_dry_run_then_import_and_round_trip(ops: TestClient) -> None:
    rows = [{"id": "ship-1", "category": "shipping", "lang": "zh", "question": "多久发货",
             "answer": "付款后48小时内发货"},
            {"id": "ship-1", "category": "shipping", "lang": "en", "question": "when do you ship",
             "answer": "Within 48 hours of payment."},
            {"id": "refund-time", "lang": "zh", "question": "退款几天能到", "answer": "退款1–3个工作日原路退回。"}]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    dry = ops.post("/api/kb/import", params={"format": "jsonl", "dry_run": True}, content=body).json()
    assert dry == {"file": "upload", "entries": 2, "variants": 3, "dry_run": True, "new": 1, "existing": 1}
    assert ops.get("/api/kb/entries").json()["total"] == 4
    done = ops.post("/api/kb/import", params={"format": "jsonl"}, content=body).json()
    assert (done["created"], done["updated"], done["published"]) == (1, 1, True)
    assert "退款几天能到" in ops.get("/api/kb/entries/refund-time").json()["variants"]["zh"]

    exported = ops.get("/api/kb/export", params={"format": "csv"})
    assert exported.headers["content-disposition"] == 'attachment; filename="kefu-faq.csv"'
    ids = {r["id"] for r in csv.DictReader(stdio.StringIO(exported.text))}
    assert ids == {"returns-fee", "refund-time", "invoice-vat", "password-reset", "ship-1"}
    # XLSX out and back in changes nothing.
    xlsx = ops.get("/api/kb/export", params={"format": "xlsx"}).content
    again = ops.post("/api/kb/import", params={"format": "xlsx"}, content=xlsx).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)


def test_review_cluster_becomes_an_entry_and_is_answered(kb: Settings, ops: TestClient) -> None:
    first = record(kb, "可以开电子发票吗", "zh")
    assert record(kb, "能开电子发票不", "zh", channel="wechat") == first
    record(kb, "can I get an electronic invoice", "en")
    other = record(kb, "你们周末上班吗", "zh")
    assert other != first

    listing = ops.get("/api/kb/review/clusters").json()
    assert listing["counts"] == {"open": len(listing["clusters"])}
    top = listing["clusters"][0]
    assert top["id"] == first and top["count"] >= 2 and top["channels"]["wechat"] == 1

    detail = ops.get(f"/api/kb/review/clusters/{first}").json()
    assert "可以开电子发票吗" in detail["draft"]["variants"]["zh"]
    assert detail["draft"]["category"] == "invoices" and detail["draft"]["id"] == "invoices-001"
    assert detail["nearest"][0]["faq_id"] == "invoice-vat" and 0 < detail["nearest"][0]["score"] <= 1
    assert len(detail["items"]) == top["count"]

    before = ops.post("/api/kb/try", json={"text": "可以开电子发票吗"}).json()
    assert before["decision"] != "answer" or before["reply"]["faq_id"] != "invoices-001"
    draft = detail["draft"]
    draft["answers"] = {"zh": "可以，订单完成后在“我的订单-申请发票”开具电子发票。",
                        "en": "Yes: request an e-invoice under My orders after delivery."}
    resolved = ops.post(f"/api/kb/review/clusters/{first}/new-entry", json=draft)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["published"] is True
    after = ops.post("/api/kb/try", json={"text": "可以开电子发票吗"}).json()
    assert after["decision"] == "answer" and after["reply"]["faq_id"] == "invoices-001"
    assert ops.post(f"/api/kb/review/clusters/{first}/new-entry", json=draft).status_code == 409
    assert ops.get(f"/api/kb/review/clusters/{first}").json()["cluster"]["resolution"] == "new_entry"

    dismissed = ops.post(f"/api/kb/review/clusters/{other}/dismiss", json={"note": "store hours are on the site"})
    assert dismissed.status_code == 200
    assert ops.get("/api/kb/review/clusters", params={"status": "dismissed"}).json()["clusters"][0]["id"] == other
    assert ops.post("/api/kb/review/clusters/999/dismiss", json={}).status_code == 404


def test_review_cluster_becomes_variants(kb: Settings, ops: TestClient) -> None:
    cluster = record(kb, "退货的快递费要我自己付吗", "zh", kind="unhelpful")
    resp = ops.post(f"/api/kb/review/clusters/{cluster}/variants", json={"faq_id": "returns-fee"})
    assert resp.status_code == 200, resp.text
    assert "退货的快递费要我自己付吗" in resp.json()["entry"]["variants"]["zh"]
    tried = ops.post("/api/kb/try", json={"text": "退货的快递费要我自己付吗"}).json()
    assert tried["decision"] == "answer" and tried["reply"]["faq_id"] == "returns-fee"
    missing = ops.post(f"/api/kb/review/clusters/{record(kb, 'xyz?', 'en')}/variants", json={"faq_id": "nope"})
    assert missing.status_code == 404
