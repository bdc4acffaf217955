"""The ops console in Debian's Chromium (Playwright) against the real servers: a customer asks what the bot cannot
answer; an ops user turns the question's cluster into a new entry in the browser; the bot then answers it."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from console.core.security import hash_password
from desk.service import desk_store
from kefu.config import Settings
from knowledge_base import service
from tests.e2e.conftest import say, texts

PASSWORD = "ops-browser-password-1"
QUESTION = "你们招聘客服吗"
ANSWER_ZH = "我们长期招聘在线客服，请把简历发到 jobs@lanshan.example，注明“客服岗位”。"
ANSWER_EN = "We hire service agents all year round: send your CV to jobs@lanshan.example."

pytest.importorskip("playwright.sync_api")


def ops_user(kefu: Settings) -> None:
    store = desk_store(kefu)
    if store.credentials("ops-li") is None:
        store.create_agent("ops-li", display_name="李运营", role="ops", password_hash=hash_password(PASSWORD))


def sign_in(page: Any, kefu: Settings) -> None:
    """Sign in to the ops console as 李运营 (the page is then the review queue)."""
    page.goto(f"{kefu.console_url}/ops")
    page.wait_for_url("**/login?next=/ops")
    page.fill("#username", "ops-li")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/ops*")
    page.wait_for_selector("#me:has-text('李运营')")


def test_ops_resolves_a_cluster_in_the_browser_and_the_bot_answers(kefu: Settings, browser: object) -> None:
    ops_user(kefu)
    before = texts(say(kefu, f"ops-before-{uuid.uuid4().hex}", QUESTION))
    assert "还不知道答案" in before
    cluster_id = next(c.id for c in service.review_queue(kefu).clusters() if QUESTION in c.examples)

    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    try:
        sign_in(page, kefu)

        page.click("#tab-review")
        cluster = page.locator(f"#clusters li.cluster[data-id='{cluster_id}']")
        cluster.wait_for()
        assert QUESTION in cluster.inner_text()
        cluster.locator("button").first.click()
        page.wait_for_selector("#new-entry-form")
        # The form comes prefilled with the cluster's questions and a free id.
        assert QUESTION in page.input_value("#ne-questions-zh")
        entry_id = page.input_value("#ne-id")
        assert entry_id
        page.fill("#ne-category", "general")
        page.fill("#ne-answer-zh", ANSWER_ZH)
        page.fill("#ne-answer-en", ANSWER_EN)
        page.fill("#ne-questions-en", "do you have any job openings")
        page.click("#ne-submit")
        page.wait_for_function("() => /v\\d+/.test(document.querySelector('#ops-status').textContent)")
        started = time.monotonic()

        # The bot answers the same question from the new entry without a restart (bench/ops_publish.py times it).
        while True:
            reply = texts(say(kefu, f"ops-after-{uuid.uuid4().hex}", QUESTION))
            if ANSWER_ZH in reply or time.monotonic() - started > 30:
                break
            time.sleep(0.3)
        assert ANSWER_ZH in reply
        english = texts(say(kefu, f"ops-after-en-{uuid.uuid4().hex}", "Do you have any job openings?"))
        assert ANSWER_EN in english
        stored = service.store(kefu).get(entry_id)
        assert stored.status == "published" and QUESTION in stored.variants["zh"]
        assert service.review_queue(kefu).cluster(cluster_id)[0].status == "resolved"

        # The try-it box shows the same decision the bot made.
        page.click("#tab-try")
        page.fill("#try-text", QUESTION)
        page.click("#try-submit")
        page.wait_for_selector("#try-decision:has-text('answer')")
        assert entry_id in page.inner_text("#try-result")

        # The dashboard renders its figures, each with its definition.
        page.click("#tab-dashboard")
        figure = page.locator("#figures .figure[data-key='conversations']")
        figure.wait_for()
        value = "#figures .figure[data-key='conversations'] .value"
        page.wait_for_function("s => /\\d/.test(document.querySelector(s).textContent)", arg=value)
        assert figure.locator(".definition").inner_text().strip()
        # Service recovery: NPS, repeat inquiries, complaint handling and compensation cost, each with its
        # definition; the NPS and compensation panels; the customers at risk with how the list is made.
        for key in ("nps", "repeat_inquiry_rate", "complaint_handling_s", "compensation_cost"):
            assert page.locator(f"#figures .figure[data-key='{key}'] .definition").inner_text().strip()
        page.wait_for_selector("#nps-list li[data-key='promoters']")
        page.wait_for_selector("#at-risk tbody tr")
        assert "Score" in page.locator("#at-risk-definition").inner_text() or \
            "风险分" in page.locator("#at-risk-definition").inner_text()
        # The desk's labels filter it, and each label's hand-overs are counted.
        page.wait_for_selector("#dash-label option:has-text('refund')", state="attached")
        page.select_option("#dash-label", label="refund")
        page.click("#dash-apply")
        page.wait_for_function("() => /label=\\d/.test(document.getElementById('dash-csv').href)")
        page.wait_for_selector("#labels-tally li")
        assert dialogs == []
    finally:
        context.close()


def test_ops_edits_an_entrys_answer_for_a_customer_tier_and_that_tier_gets_it(kefu: Settings,
                                                                              browser: object) -> None:
    ops_user(kefu)
    silver = "您是银卡会员，七天无理由退货运费减半（¥5），在“我的订单”中申请退货即可。"
    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        sign_in(page, kefu)
        page.goto(f"{kefu.console_url}/ops#entries/returns-003")
        page.wait_for_selector("#entry-editor:not([hidden])")
        # The demo entry's tiers are there to edit (the demo knowledge base gives 金卡 and 钻石 their own answer).
        page.wait_for_function("() => [...document.querySelectorAll('#ed-tier-list .tier-name')]"
                               ".map(i => i.value).join(',') === '金卡,钻石'")
        page.click("#ed-tier-add")
        row = page.locator("#ed-tier-list .tier-row").last
        row.locator(".tier-name").fill("银卡")
        page.click("#ed-save")  # a tier with no answer yet: refused in the page, nothing saved
        page.wait_for_selector("#ops-error:not([hidden])")
        assert "银卡" in page.inner_text("#ops-error-text")
        row.locator(".tier-answer-zh").fill(silver)
        page.click("#ed-save")
        page.wait_for_function("() => /v\\d+/.test(document.querySelector('#ops-status').textContent)")
        started = time.monotonic()
        while True:  # published at once; the action server picks the new index version up by itself
            reply = texts(say_as(kefu, "银卡", "无理由退货运费谁出？"))
            if silver in reply or time.monotonic() - started > 30:
                break
            time.sleep(0.3)
        assert silver in reply
        assert "由您承担" in texts(say_as(kefu, None, "无理由退货运费谁出？"))  # everyone else: the entry's answer
        assert service.store(kefu).get("returns-003").tier_answers["银卡"] == {"zh": silver}
    finally:
        context.close()


def say_as(kefu: Settings, tier: str | None, text: str) -> list[dict]:
    """A REST customer whose tier the shop's backend sends (a browser cannot set it)."""
    import httpx

    body: dict = {"sender": f"tier-{uuid.uuid4().hex}", "message": text}
    if tier:
        body["metadata"] = {"customer_tier": tier}
    resp = httpx.post(f"{kefu.rasa_url}/webhooks/rest/webhook", json=body, timeout=60)
    assert resp.status_code == 200, resp.text
    return list(resp.json())
