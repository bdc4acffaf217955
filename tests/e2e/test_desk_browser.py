"""The agent desk in Debian's Chromium (Playwright) against the real servers: a socket.io customer asks for a
person; the agent signs in, claims, replies, sees the customer's HTML as text, resolves; the customer rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from console.core.security import hash_password
from desk.service import desk_store
from desk.store import DeskStore
from kefu.config import Settings
from knowledge_base import service
from knowledge_base.review import ReviewReader
from tests.support.clients import Customer
from tests.support.files import SVG_WITH_SCRIPT, image

PASSWORD = "browser-password-1"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"

pytest.importorskip("playwright.sync_api")


def agent_user(store: DeskStore, username: str, display_name: str, role: str = "agent") -> dict:
    """The console user, created on first use."""
    if store.credentials(username) is None:
        store.create_agent(username, display_name=display_name, role=role, password_hash=hash_password(PASSWORD))
    return next(a for a in store.agents() if a["username"] == username)


def sign_in(page: Any, kefu: Settings, username: str) -> None:
    """Sign in on the login page and land on the desk."""
    page.goto(f"{kefu.console_url}/login?next=/desk")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/desk")


def queued_customer(store: DeskStore, page: Any, kefu: Settings, text: str = "转人工",
                    metadata: dict | None = None, customer: Customer | None = None) -> tuple[Customer, dict]:
    """A socket.io customer (new, or the one given) who asks for a person once the page's desk counts as online;
    with its escalation."""
    page.wait_for_selector("#conn.ok")  # the desk's live feed is open
    for _ in range(50):  # the desk's heartbeat makes the agent online, so the customer joins the queue
        if store.agents_online():
            break
        page.wait_for_timeout(200)
    customer = customer or Customer(kefu.rasa_url)
    customer.say(text, metadata=metadata)
    customer.wait_for(lambda t: "前面还有" in t)
    escalation = store.active_for(customer.session_id)
    assert escalation is not None
    return customer, escalation


def test_agent_claims_replies_resolves_and_the_customer_rates(kefu: Settings, browser: object) -> None:
    store = desk_store(kefu)
    if store.credentials("desk-wang") is None:
        store.create_agent("desk-wang", display_name="王小蓝", role="agent", password_hash=hash_password(PASSWORD))
    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    customer = None
    try:
        page.goto(f"{kefu.console_url}/desk")
        page.wait_for_url("**/login?next=/desk")
        page.fill("#username", "desk-wang")
        page.fill("#password", "wrong password")
        page.click("#login-button")
        page.wait_for_selector("#login-error", state="visible")
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        page.wait_for_url("**/desk")
        page.wait_for_selector("#me:has-text('王小蓝')")

        customer, escalation = queued_customer(store, page, kefu)
        item = page.locator(f".queue-item[data-escalation-id='{escalation['id']}']")
        item.wait_for()
        item.click()
        page.click("#claim-button")
        customer.wait_for(lambda t: "王小蓝" in t and "已接入" in t)

        page.fill("#reply-input", "您好，我是王小蓝，请问有什么可以帮您？")
        page.click("#send-button")
        customer.wait_for(lambda t: "我是王小蓝" in t)
        page.wait_for_selector("#transcript .msg-agent .msg-text:has-text('我是王小蓝')")

        customer.say(HOSTILE)
        shown = page.locator("#transcript .msg-customer .msg-text").last
        shown.wait_for()
        page.wait_for_function(
            "t => [...document.querySelectorAll('#transcript .msg-customer .msg-text')].some(e => e.textContent === t)",
            arg=HOSTILE,
        )
        assert page.locator("#transcript img, #transcript script").count() == 0
        page.wait_for_timeout(300)
        assert dialogs == []

        page.click("#resolve-button")
        # The hostile message was English-ish, so the bot now speaks English: the language follows the customer.
        _, prompt = customer.wait_for(lambda t: "How would you rate" in t)
        customer.say(prompt["quick_replies"][3]["payload"])  # "4 Good"
        customer.wait_for(lambda t: "Thanks for rating" in t)
        rating = next(r for r in store.ratings() if r["conversation_id"] == customer.session_id)
        assert rating["score"] == 4 and rating["agent_id"] == store.credentials("desk-wang")[0]  # type: ignore[index]
    finally:
        if customer is not None:
            customer.close()
        context.close()
        wang = store.credentials("desk-wang")
        if wang:
            store.set_presence(wang[0], "away")


def test_an_admin_sets_an_agents_capacity_in_the_team_panel(kefu: Settings, browser: object) -> None:
    store = desk_store(kefu)
    admin = agent_user(store, "desk-admin", "Admin Li", role="admin")
    zhao = agent_user(store, "desk-zhao", "赵小青")
    context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        sign_in(page, kefu, "desk-admin")
        row = page.locator(f"#team li[data-agent-id='{zhao['id']}']")
        row.wait_for()
        assert row.locator(".team-name").inner_text() == "赵小青"
        assert row.locator(".team-status").inner_text() == "offline"
        row.locator("input.team-capacity").fill("5")
        row.locator("button").click()
        for _ in range(50):
            if next(a for a in store.agents() if a["username"] == "desk-zhao")["capacity"] == 5:
                break
            page.wait_for_timeout(100)
        assert next(a for a in store.agents() if a["username"] == "desk-zhao")["capacity"] == 5
    finally:
        context.close()
        # Later tests expect nobody online (the "leave a message" path): the admin's desk sent a heartbeat.
        store.set_presence(admin["id"], "away")


def test_an_agent_sees_the_team_without_the_capacity_controls(kefu: Settings, browser: object) -> None:
    store = desk_store(kefu)
    wang = agent_user(store, "desk-wang", "王小蓝")
    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        sign_in(page, kefu, "desk-wang")
        page.wait_for_selector("#team li.team-row")
        assert page.locator("#team input").count() == 0
        assert "/" in page.locator("#team .team-load").first.inner_text()
    finally:
        context.close()
        store.set_presence(wang["id"], "away")


def test_an_admin_adds_a_canned_reply_and_it_goes_out_filled_beside_a_kb_suggestion(kefu: Settings,
                                                                                      browser: object) -> None:
    """The admin writes a reply with variables in the editor; in a conversation with a named customer who gave an
    order number, `/fp` + Enter inserts it filled; a new question brings the KB's suggestions, Insert puts the
    answer in the box, and what is sent reaches the customer."""
    store = desk_store(kefu)
    admin = agent_user(store, "desk-admin", "Admin Li", role="admin")
    context = browser.new_context(locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    customer = None
    try:
        sign_in(page, kefu, "desk-admin")
        page.wait_for_selector("#canned-admin:not([hidden])")
        page.select_option("#canned-lang", "zh")
        page.fill("#canned-title", "发票说明")
        page.fill("#canned-shortcut", "/fp")
        page.fill("#canned-text", "{customer_name|亲}您好，订单{order_id}的电子发票会在发货后发到您的邮箱。")
        page.click("#canned-save")
        page.wait_for_selector("#canned-admin-list li:has-text('/fp')")
        assert any(c["shortcut"] == "fp" for c in store.canned("zh"))

        page_meta = {"customer_name": "王芳"}
        customer = Customer(kefu.rasa_url)
        customer.say("我的订单KF20231123018发货了吗", metadata=page_meta)
        customer.wait_for(lambda t: "KF20231123018" in t)
        customer, escalation = queued_customer(store, page, kefu, "转人工", page_meta, customer)
        assert escalation["summary"]["customer_name"] == "王芳"
        page.locator(f".queue-item[data-escalation-id='{escalation['id']}']").click()
        page.click("#claim-button")
        customer.wait_for(lambda t: "已接入" in t)
        # The brief: what the bot already did (the order look-up) before the hand-over.
        page.wait_for_selector("#summary .brief:has-text('查了 1 次订单')")
        # The contact profile: the order the customer gave, with its status in the (demo) order book now.
        page.wait_for_selector("#contact .contact-order[data-order='KF20231123018']:has-text('已发货')")

        reply = page.locator("#reply-input")
        page.wait_for_function("() => !document.getElementById('reply-input').disabled")
        reply.click()
        reply.type("/f")
        page.wait_for_selector("#slash-menu .slash-item.active:has-text('/fp')")
        reply.press("Enter")
        assert reply.input_value() == "王芳您好，订单KF20231123018的电子发票会在发货后发到您的邮箱。"
        assert page.locator("#slash-menu").is_hidden()
        reply.fill("")

        customer.say("退货的运费谁来出？")
        page.wait_for_selector("#assist .assist-question:has-text('退货的运费谁来出')")
        first = page.locator("#assist .assist-item").first
        answer = first.locator(".assist-answer").get_attribute("title")
        assert answer
        first.locator("button.assist-insert").click()
        assert reply.input_value() == answer
        page.click("#send-button")
        customer.wait_for(lambda t: t == answer)

        # Resolved, the question and the answer that helped go to ops as a proposed FAQ entry.
        page.click("#resolve-button")
        page.wait_for_selector("#faq-panel:not([hidden])")
        assert page.input_value("#faq-question") == "退货的运费谁来出？"
        assert page.input_value("#faq-answer") == answer
        page.click("#faq-save-button")
        page.wait_for_selector("#faq-saved:not([hidden])")
        since = datetime.now(UTC) - timedelta(minutes=10)
        queued = ReviewReader(service.store(kefu)).open_questions(since, datetime.now(UTC) + timedelta(minutes=1))
        assert "退货的运费谁来出？" in [row.text for row in queued]
    finally:
        if customer is not None:
            customer.close()
        context.close()
        store.set_presence(admin["id"], "away")


def test_agents_label_conversations_filter_the_queue_and_see_an_admins_rename_live(kefu: Settings,
                                                                                     browser: object) -> None:
    """An agent adds a label in the open conversation; the admin's desk shows the chip on the queue item without
    a reload, filters the queue by it, and renames the label: the agent's chip follows."""
    store = desk_store(kefu)
    admin = agent_user(store, "desk-admin", "Admin Li", role="admin")
    wang = agent_user(store, "desk-wang", "王小蓝")
    context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    agent_page, admin_page = context.new_page(), context.new_page()
    customers: list[Customer] = []
    try:
        sign_in(agent_page, kefu, "desk-wang")
        escalations = []
        for text in ("转人工", "人工客服"):
            customer, escalation = queued_customer(store, agent_page, kefu, text)
            customers.append(customer)
            escalations.append(escalation)
        first, second = escalations
        agent_page.locator(f".queue-item[data-escalation-id='{first['id']}']").click()
        agent_page.wait_for_selector("#label-add:not([hidden])")
        agent_page.select_option("#label-add", label="logistics")
        agent_page.wait_for_selector("#conv-labels .label-chip:has-text('logistics')")
        assert [x["name"] for x in store.get_escalation(first["id"])["labels"]] == ["logistics"]

        sign_in(admin_page, kefu, "desk-admin")
        item = admin_page.locator(f".queue-item[data-escalation-id='{first['id']}'] .label-chip")
        item.wait_for()
        assert item.inner_text() == "logistics"
        admin_page.select_option("#queue-label-filter", label="logistics")
        admin_page.wait_for_selector(f".queue-item[data-escalation-id='{second['id']}']", state="detached")
        assert admin_page.locator(f".queue-item[data-escalation-id='{first['id']}']").count() == 1

        row = admin_page.locator("#labels-admin-list li", has_text="logistics")
        row.locator("input.label-name-input").fill("shipping")
        row.locator("button", has_text="Save").click()
        agent_page.wait_for_selector("#conv-labels .label-chip:has-text('shipping')")
        agent_page.locator("#conv-labels .label-chip button.label-remove").click()
        agent_page.wait_for_selector("#conv-labels .label-chip", state="detached")
        assert store.get_escalation(first["id"])["labels"] == []
    finally:
        for customer in customers:
            customer.close()
        context.close()
        for user in (admin, wang):
            store.set_presence(user["id"], "away")
        for label in store.labels():
            if label["name"] == "shipping":
                store.update_label(label["id"], "logistics", label["color"])
        for escalation in (store.active_for(c.session_id) for c in customers):
            if escalation is not None:
                store.cancel(escalation["conversation_id"])


def test_an_admin_tightens_the_sla_and_a_missed_first_reply_turns_red_live(kefu: Settings, browser: object) -> None:
    """The admin sets a 6-second first reply for normal customers in the SLA panel; a customer who asks for a
    person shows the countdown in the queue, and once it passes the console records the breach and the desk shows
    it in red with an alert, without a reload."""
    store = desk_store(kefu)
    admin = agent_user(store, "desk-admin", "Admin Li", role="admin")
    defaults = store.sla_settings()["defaults"]
    context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    customer = None
    try:
        sign_in(page, kefu, "desk-admin")
        page.wait_for_selector("#sla-admin:not([hidden]) #sla-admin-rows tr[data-level='normal']")
        page.fill("#sla-admin-rows tr[data-level='normal'] input[data-field='first_response_s']", "0.1")
        page.click("#sla-save")
        page.wait_for_selector("#sla-saved:not([hidden])")
        assert desk_store(kefu).sla_targets()["normal"].first_response_s == 6

        customer, escalation = queued_customer(store, page, kefu)
        assert escalation["sla"]["level"] == "normal"
        clock = page.locator(f".queue-item[data-escalation-id='{escalation['id']}'] .sla")
        clock.wait_for()
        assert "First reply" in clock.inner_text()
        page.wait_for_selector(f".queue-item[data-escalation-id='{escalation['id']}'] .sla.sla-late", timeout=30000)
        page.wait_for_selector("#sla-alert:not([hidden]):has-text('First reply')", timeout=30000)
        kinds = [b["kind"] for b in store.get_escalation(escalation["id"])["sla"]["breaches"]]
        assert kinds == ["first_response"]
    finally:
        if customer is not None:
            customer.close()
        context.close()
        store.set_presence(admin["id"], "away")
        store.set_sla_targets(defaults)
        if customer is not None and store.active_for(customer.session_id):
            store.cancel(customer.session_id)


def test_a_question_about_invoices_reaches_the_invoices_team_and_an_agent_moves_it(kefu: Settings,
                                                                                  browser: object) -> None:
    """The admin puts an agent in the invoices team from the Teams panel; a customer who asked about an invoice
    and then for a person is routed to that team (shown on the queue item and in the summary); the agent gives the
    conversation to anyone instead, and the desk shows it without a reload."""
    store = desk_store(kefu)
    admin = agent_user(store, "desk-admin", "Admin Li", role="admin")
    wang = agent_user(store, "desk-wang", "王小蓝")
    context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    customer = None
    invoices = next(t for t in store.teams() if t["name"] == "Invoices & payment")
    try:
        sign_in(page, kefu, "desk-admin")
        form = page.locator(f"#teams-admin-list li[data-team-id='{invoices['id']}'] form")
        form.wait_for()
        form.locator(f"input[type=checkbox][value='{wang['id']}']").check()
        # Another admin saves another team meanwhile: the live redraw keeps this unsaved tick.
        after_sales = next(t for t in store.teams() if t["name"] == "After-sales")
        store.update_team(after_sales["id"], after_sales["name"], after_sales["categories"],
                          after_sales["auto_assign"], [m["id"] for m in after_sales["members"]])
        page.wait_for_timeout(1500)
        assert form.locator(f"input[type=checkbox][value='{wang['id']}']").is_checked()
        form.locator("button[type=submit]").click()
        for _ in range(50):
            if any(m["id"] == wang["id"] for m in store.team(invoices["id"])["members"]):
                break
            page.wait_for_timeout(100)
        assert [m["display_name"] for m in store.team(invoices["id"])["members"]] == ["王小蓝"]

        customer = Customer(kefu.rasa_url)
        customer.say("电子发票怎么开")
        customer.wait_for(lambda t: "发票" in t)
        customer, escalation = queued_customer(store, page, kefu, "转人工", customer=customer)
        assert escalation["team"] == {"id": invoices["id"], "name": "Invoices & payment"}
        item = page.locator(f".queue-item[data-escalation-id='{escalation['id']}']")
        item.locator(".qi-team:has-text('Invoices & payment')").wait_for()
        item.click()
        page.wait_for_selector("#summary dd:has-text('Invoices & payment (invoices)')")
        page.select_option("#team-move", label="Anyone")
        page.click("#team-move-button")
        item.locator(".qi-team").wait_for(state="detached")
        assert store.get_escalation(escalation["id"])["team"] is None
    finally:
        if customer is not None:
            customer.close()
        context.close()
        store.set_presence(admin["id"], "away")
        store.update_team(invoices["id"], invoices["name"], invoices["categories"], invoices["auto_assign"], [])
        if customer is not None and store.active_for(customer.session_id):
            store.cancel(customer.session_id)


def test_a_customers_phone_number_reaches_the_desk_masked_and_a_supervisor_reveals_it(kefu: Settings,
                                                                                      browser: object) -> None:
    """A customer gives a phone number in the queue: the desk shows it masked; an agent has no Reveal button; a
    supervisor does, gives a reason, sees the number, and the reveal is in the audit log."""
    store = desk_store(kefu)
    boss = agent_user(store, "desk-boss", "Supervisor Zhou", role="supervisor")
    context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    page.on("dialog", lambda d: d.accept("calling the customer back"))
    customer = None
    try:
        sign_in(page, kefu, "desk-boss")
        customer, escalation = queued_customer(store, page, kefu)
        customer.say("call me back on 13912345678 please")
        item = page.locator(f".queue-item[data-escalation-id='{escalation['id']}']")
        item.click()
        shown = page.locator("#transcript .msg-customer .msg-text", has_text="call me back")
        shown.wait_for()
        assert "13912345678" not in shown.inner_text() and "5678" in shown.inner_text()
        page.click("#reveal-button")
        page.wait_for_selector("#transcript .msg-customer .msg-text:has-text('13912345678')")
        entry = store.audit_log(1)[0]
        assert (entry["actor"], entry["action"], entry["conversation_id"]) == (
            "desk-boss", "reveal_escalation", customer.session_id)
        assert entry["detail"]["reason"] == "calling the customer back"
    finally:
        if customer is not None:
            customer.close()
        context.close()
        store.set_presence(boss["id"], "away")
        if customer is not None and store.active_for(customer.session_id):
            store.cancel(customer.session_id)


def test_images_and_typing_between_the_chat_page_and_the_desk(kefu: Settings, browser: object) -> None:
    store = desk_store(kefu)
    agent_user(store, "desk-files", "Lin")
    desk_context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    chat_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    desk, chat = desk_context.new_page(), chat_context.new_page()
    dialogs: list[str] = []
    for page in (desk, chat):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        sign_in(desk, kefu, "desk-files")
        desk.wait_for_selector("#conn.ok")
        for _ in range(50):
            if store.agents_online():
                break
            desk.wait_for_timeout(200)
        chat.goto(f"{kefu.console_url}/chat")
        assert chat.locator(".kefu-attach").is_hidden()  # files go to an agent only
        chat.fill(".kefu-input", "转人工")
        chat.press(".kefu-input", "Enter")
        chat.wait_for_selector(".kefu-handoff:not([hidden])")
        session_id = chat.evaluate("localStorage.getItem('kefu.session')")
        escalation = None
        for _ in range(50):
            escalation = store.active_for(session_id)
            if escalation:
                break
            desk.wait_for_timeout(200)
        assert escalation is not None
        item = desk.locator(f".queue-item[data-escalation-id='{escalation['id']}']")
        item.wait_for()
        item.click()
        desk.click("#claim-button")
        chat.wait_for_selector(".kefu-handoff[data-state='with_agent']")

        # Each side sees the other typing.
        desk.fill("#reply-input", "Let me look")
        desk.type("#reply-input", ".")
        chat.wait_for_selector(".kefu-typing.kefu-typing-agent:not([hidden])")
        chat.fill(".kefu-input", "稍等我拍")
        chat.type(".kefu-input", "照")
        desk.wait_for_selector("#customer-typing:not([hidden])")

        # The customer sends a photo from the chat page; the desk shows it as a picture.
        photo = image("JPEG", (64, 48), (30, 120, 200))
        chat.wait_for_selector(".kefu-attach:not([hidden])")
        chat.set_input_files(".kefu-file", files=[{"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        shown = desk.locator("#transcript .msg-customer img.msg-img")
        shown.wait_for()
        desk.wait_for_function("() => document.querySelector('#transcript .msg-customer img.msg-img').naturalWidth"
                               " === 64")
        assert desk.locator("#customer-typing").is_hidden()

        # The agent sends an image back with words; the chat page shows it from the agent. An SVG is refused.
        desk.fill("#reply-input", "Here is your return label")
        label = image("PNG", (80, 40))
        desk.set_input_files("#attach-input", files=[{"name": "label.png", "mimeType": "image/png", "buffer": label}])
        chat.wait_for_selector(".kefu-msg-agent img.kefu-image")
        chat.wait_for_function("() => document.querySelector('.kefu-msg-agent img.kefu-image').naturalWidth === 80")
        chat.wait_for_selector(".kefu-msg-agent .kefu-bubble:has-text('Here is your return label')")
        desk.set_input_files("#attach-input", files=[{"name": "logo.svg", "mimeType": "image/svg+xml",
                                                       "buffer": SVG_WITH_SCRIPT}])
        desk.wait_for_selector("#desk-error:not([hidden]) #desk-error-text:has-text('scripts')")
        assert desk.locator("#transcript .msg-agent img.msg-img").count() == 1
        assert dialogs == []
        desk.click("#resolve-button")
    finally:
        desk_context.close()
        chat_context.close()
        lin = store.credentials("desk-files")
        if lin:
            store.set_presence(lin[0], "away")


def test_service_recovery_a_late_order_coupon_and_a_supervisors_approval(kefu: Settings, browser: object) -> None:
    """A customer on the chat page asks about an order past its promised date: the bot apologises and gives its
    coupon. Another customer's agent offers a refund above their limit: it waits for a supervisor, the customer
    is told it is being reviewed; the supervisor approves it on their desk, live, and the customer is told."""
    store = desk_store(kefu)
    agent = agent_user(store, "desk-rec-agent", "Mei")
    agent_user(store, "desk-rec-sup", "Zhou", role="supervisor")
    chat_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    agent_context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    sup_context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    chat, desk, sup = chat_context.new_page(), agent_context.new_page(), sup_context.new_page()
    customer = None
    try:
        chat.goto(f"{kefu.console_url}/chat")
        chat.fill(".kefu-input", "我的订单KF20231119010怎么还没到")
        chat.press(".kefu-input", "Enter")
        chat.wait_for_selector(".kefu-msg-bot .kefu-bubble:has-text('原定 2026-11-21 前送达')")
        apology = chat.locator(".kefu-msg-bot .kefu-bubble", has_text="券码").first.inner_text()
        assert "10 元优惠券" in apology and "CPN-" in apology

        sign_in(desk, kefu, "desk-rec-agent")
        sign_in(sup, kefu, "desk-rec-sup")
        sup.wait_for_selector("#comp-approvals:not([hidden])")
        customer, escalation = queued_customer(store, desk, kefu)
        desk.locator(f".queue-item[data-escalation-id='{escalation['id']}']").click()
        desk.click("#claim-button")
        customer.wait_for(lambda t: "Mei" in t)
        desk.wait_for_function("() => !document.getElementById('comp-amount').disabled")
        desk.select_option("#comp-kind", "partial_refund")
        desk.fill("#comp-amount", "120")
        desk.fill("#comp-reason", "the jacket arrived torn")
        desk.wait_for_selector("#comp-button:has-text('Ask a supervisor')")
        desk.click("#comp-button")
        desk.wait_for_selector("#comp-list .comp-pending")
        customer.wait_for(lambda t: "120 元部分退款" in t and "主管确认" in t)

        pending = sup.locator("#comp-pending .comp-item.comp-pending")
        pending.wait_for()  # live, no reload
        pending.locator("button.comp-approve").click()
        _, approved = customer.wait_for(lambda t: "已经批准" in t)
        assert "RFP-" in approved["text"]
        desk.wait_for_selector("#comp-list .comp-approved")
        entries = [e["action"] for e in store.audit_log() if e["conversation_id"] == customer.session_id]
        assert entries[:2] == ["compensation_approved", "compensation_requested"]
        desk.click("#resolve-button")
    finally:
        if customer is not None:
            customer.close()
        for context in (chat_context, agent_context, sup_context):
            context.close()
        for name in ("desk-rec-agent", "desk-rec-sup"):
            user = store.credentials(name)
            if user:
                store.set_presence(user[0], "away")
        del agent
