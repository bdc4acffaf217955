"""The customer web chat in Debian's Chromium (Playwright) against the real servers: the one-script-tag bubble on a
host page with hostile CSS, and the WeChat-style /chat page at phone width. Needs `make widget` (widget/dist)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from console.api.routes import widget
from console.main import create_app
from kefu.config import Settings
from tests.e2e.conftest import free_port
from tests.support.clients import Agent
from tests.support.scripts import tracker_json

PASSWORD = "widget-password-1"
HOSTILE = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script>"
# The host page's own CSS tries hard to restyle everything; the Shadow DOM keeps it out.
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>A shop</title>
<style>* {{ color: red !important; font-size: 40px !important; }} button, div {{ display: none !important; }}</style>
</head><body><h1>A shop</h1>
<script src="{console}/widget.js" data-server="{rasa}" async></script></body></html>"""
BOT = ".kefu-log .kefu-msg-bot .kefu-bubble"
USER = ".kefu-log .kefu-msg-user .kefu-bubble"

pytest.importorskip("playwright.sync_api")
requires_build = pytest.mark.skipif(not (widget.WIDGET_DIST / "widget.js").is_file(),
                                    reason="widget/dist is not built: run `make widget`")


@pytest.fixture(scope="module")
def shop(kefu: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A host page on its own origin (another port) with the widget's script tag."""
    root = tmp_path_factory.mktemp("shop")
    (root / "index.html").write_text(HOST_PAGE.format(console=kefu.console_url, rasa=kefu.rasa_url),
                                     encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                             functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def open_widget(page: Any) -> None:
    page.click(".kefu-launcher")
    page.wait_for_selector(".kefu-conn[data-state=online]")


def texts(page: Any, selector: str) -> list[str]:
    """Bubble texts without the screen-reader prefix ("我：", "客服助手：")."""
    found: list[str] = page.eval_on_selector_all(
        selector, "els => els.map(e => [...e.childNodes].filter(n => !(n.classList && n.classList.contains('kefu-sr')))"
                  ".map(n => n.textContent).join(''))")
    return found


def say(page: Any, text: str) -> str:
    """Type and send a message; wait until Rasa has answered it; return the first reply's text."""
    seen = page.locator(BOT).count()
    page.fill(".kefu-input", text)
    page.press(".kefu-input", "Enter")
    return wait_bot(page, seen)


def wait_bot(page: Any, seen: int, timeout: float = 30_000) -> str:
    """The first bot bubble after `seen`, once the last message is acknowledged (Rasa acknowledges after all of
    its replies are out)."""
    page.locator(BOT).nth(seen).wait_for(timeout=timeout)
    page.wait_for_function(
        "() => { const id = localStorage.getItem('kefu.session');"
        " const users = JSON.parse(localStorage.getItem('kefu.chat.' + id)).entries.filter(e => e.k === 'user');"
        " return users[users.length - 1].st === 'done'; }", timeout=timeout)
    return texts(page, BOT)[seen]


def stored(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        "() => { const id = localStorage.getItem('kefu.session');"
        " return {id, entries: JSON.parse(localStorage.getItem('kefu.chat.' + id) || '{\"entries\": []}').entries};"
        " }")
    return result


def user_texts(settings: Settings, session_id: str) -> list[str]:
    return [e["text"] for e in tracker_json(settings, session_id)["events"] if e["event"] == "user"]


def active(page: Any) -> str:
    return str(page.evaluate("document.querySelector('#kefu-chat-widget').shadowRoot.activeElement?.className"))


@requires_build
def test_assets_are_served_locally_with_types_and_a_chat_policy(kefu: Settings) -> None:
    script = httpx.get(f"{kefu.console_url}/widget.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("application/javascript")
    assert "session_request" in script.text and "//cdn" not in script.text
    page = httpx.get(f"{kefu.console_url}/chat")
    assert page.status_code == 200 and f'data-server="{kefu.rasa_url}"' in page.text
    ws = kefu.rasa_url.replace("http://", "ws://")
    assert f"connect-src 'self' {kefu.rasa_url} {ws};" in page.headers["content-security-policy"]
    assert httpx.get(f"{kefu.console_url}/widget/chat.css").headers["content-type"].startswith("text/css")
    assert httpx.get(f"{kefu.console_url}/widget/chat.js").headers["content-type"].startswith(
        "application/javascript")
    for bad in ("..%2Fpackage.json", "chat.html", ".hidden.js", "nope.js"):
        assert httpx.get(f"{kefu.console_url}/widget/{bad}").status_code == 404


def test_an_unbuilt_widget_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widget, "WIDGET_DIST", tmp_path / "dist")
    client = TestClient(create_app(Settings(data_dir=tmp_path), background=False))
    for path in ("/widget.js", "/chat", "/widget/chat.js"):
        resp = client.get(path)
        assert resp.status_code == 503 and "make widget" in resp.json()["detail"]


@requires_build
def test_bubble_greets_offers_choices_survives_a_reload_and_keeps_the_session(
        kefu: Settings, browser: Any, shop: str) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(shop)
        launcher = page.locator(".kefu-launcher")
        assert launcher.get_attribute("aria-label") == "打开在线客服" and launcher.is_visible()
        assert page.locator(".kefu-panel").is_hidden()
        open_widget(page)
        assert launcher.get_attribute("aria-expanded") == "true" and active(page) == "kefu-input"
        log = page.locator(".kefu-log")
        assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
        # The page's `* {font-size: 40px !important}` does not reach inside.
        assert page.eval_on_selector(".kefu-input", "e => getComputedStyle(e).fontSize") == "16px"

        assert "您好" in say(page, "你好")
        choices = say(page, "退款")
        buttons = page.locator(".kefu-quick .kefu-reply")
        assert "请选" in choices and 2 <= buttons.count() <= 4
        # Keyboard: the choices are the Tab stops before the input, and Enter picks one.
        offered = buttons.all_inner_texts()
        page.focus(".kefu-input")
        for _ in offered:
            page.keyboard.press("Shift+Tab")
        assert active(page) == "kefu-reply"
        title = page.evaluate("document.querySelector('#kefu-chat-widget').shadowRoot.activeElement.textContent")
        assert title == offered[0]
        seen = page.locator(BOT).count()
        page.keyboard.press("Enter")
        answer = wait_bot(page, seen)
        assert texts(page, USER)[-1] == title  # the button's title is shown, its payload was sent
        assert answer and answer != choices and buttons.all_inner_texts() != offered

        # Customer text is text: a message with HTML shows as typed and runs nothing.
        say(page, HOSTILE)
        assert texts(page, USER)[-1] == HOSTILE and page.evaluate("window.pwned") is None
        assert page.locator(".kefu-log img, .kefu-log script").count() == 0

        before = stored(page)
        shown = texts(page, ".kefu-log .kefu-bubble")
        assert len(shown) == len(before["entries"]) and all(e.get("st") == "done" for e in before["entries"]
                                                            if e["k"] == "user")
        # Esc closes the panel and gives focus back to the button.
        page.focus(".kefu-input")
        page.keyboard.press("Escape")
        assert page.locator(".kefu-panel").is_hidden() and active(page) == "kefu-launcher"

        page.reload()
        open_widget(page)
        assert texts(page, ".kefu-log .kefu-bubble") == shown  # the whole conversation, once
        assert stored(page)["id"] == before["id"]
        assert say(page, "我要查订单")
        users = user_texts(kefu, before["id"])
        assert users[0] == "你好" and users[1] == "退款" and users[2].startswith("/choose_faq")
        assert users[-1] == "我要查订单" and len(users) == 5  # one session, each message once
        assert errors == []
    finally:
        context.close()


@requires_build
def test_two_tabs_show_one_conversation_without_duplicates(kefu: Settings, browser: Any, shop: str) -> None:
    context = browser.new_context(locale="zh-CN")
    first = context.new_page()
    try:
        first.goto(shop)
        open_widget(first)
        say(first, "你好")
        # window.open gives the new tab a copy of this one's sessionStorage, tab id included: it must take its own.
        with context.expect_page() as opened:
            first.evaluate("window.open(location.href)")
        second = opened.value
        second.wait_for_load_state()
        open_widget(second)
        tab_ids = [p.evaluate("sessionStorage.getItem('kefu.tab')") for p in (first, second)]
        assert tab_ids[0] and tab_ids[1] and tab_ids[0] != tab_ids[1]
        assert texts(second, ".kefu-log .kefu-bubble") == texts(first, ".kefu-log .kefu-bubble")
        reply = say(second, "怎么申请退货？")
        first.wait_for_function(
            "t => [...document.querySelector('#kefu-chat-widget').shadowRoot.querySelectorAll("
            "'.kefu-log .kefu-bubble')].some(b => b.textContent.endsWith(t))", arg=reply)
        # Both sockets received the reply and stored a copy: give the tabs a moment to fold the copies into one.
        first.wait_for_timeout(800)
        for page in (first, second):
            assert texts(page, USER) == ["你好", "怎么申请退货？"]
            assert texts(page, BOT).count(reply) == 1
            assert len(stored(page)["entries"]) == len(texts(page, ".kefu-log .kefu-bubble"))
        assert texts(first, ".kefu-log .kefu-bubble") == texts(second, ".kefu-log .kefu-bubble")
    finally:
        context.close()


@requires_build
def test_messages_typed_offline_are_sent_once_after_reconnecting(kefu: Settings, browser: Any, shop: str) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(shop)
        open_widget(page)
        say(page, "你好")
        context.set_offline(True)
        page.wait_for_selector(".kefu-conn[data-state=offline]")
        seen = page.locator(BOT).count()
        page.fill(".kefu-input", "怎么申请退货？")
        page.press(".kefu-input", "Enter")
        assert page.locator(".kefu-log .kefu-msg-user .kefu-state").last.inner_text() == "等待发送"
        context.set_offline(False)
        wait_bot(page, seen)
        assert page.locator(".kefu-log .kefu-msg-user .kefu-state").last.inner_text() == ""
        assert user_texts(kefu, stored(page)["id"]) == ["你好", "怎么申请退货？"]

        # Dropped while a message is on its way: it may or may not have arrived, so it is not re-sent by itself;
        # the customer sees that and can send it again.
        page.evaluate("kefuChat.send('运费谁出？')")
        context.set_offline(True)
        state = page.locator(".kefu-log .kefu-msg-user .kefu-state").last
        state.locator(".kefu-resend").wait_for()
        assert "未确认送达" in state.inner_text()
        context.set_offline(False)
        page.wait_for_selector(".kefu-conn[data-state=online]")
        seen = page.locator(BOT).count()
        state.locator(".kefu-resend").click()
        wait_bot(page, seen)
        assert user_texts(kefu, stored(page)["id"]).count("运费谁出？") in (1, 2)
        assert texts(page, USER).count("运费谁出？") == 1
    finally:
        context.close()


@requires_build
def test_rejected_input_is_explained_inline(kefu: Settings, browser: Any, shop: str) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(shop)
        open_widget(page)
        page.fill(".kefu-input", "长" * (kefu.max_message_chars + 10))
        page.press(".kefu-input", "Enter")
        page.wait_for_selector(".kefu-log .kefu-msg-error")
        assert "太长" in page.locator(".kefu-log .kefu-msg-error").inner_text()
        assert page.locator(".kefu-log .kefu-msg-user .kefu-state").last.inner_text() == "未发送"
        assert page.locator(".kefu-typing").is_hidden()
    finally:
        context.close()


@requires_build
def test_queue_and_agent_status_and_the_agents_name(kefu: Settings, browser: Any, shop: str) -> None:
    from console.core.security import hash_password
    from desk.service import desk_store

    store = desk_store(kefu)
    if store.credentials("widget-li") is None:
        store.create_agent("widget-li", display_name="李雷", role="agent", password_hash=hash_password(PASSWORD))
    agent = Agent(kefu.console_url, "widget-li", PASSWORD)
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        agent.call("POST", "/api/presence", json={"status": "online"})
        page.goto(shop)
        open_widget(page)
        say(page, "转人工")
        status = page.locator(".kefu-handoff")
        status.wait_for()
        assert re.fullmatch(r"排队中：前面还有 0 位，约 \d+ 分钟", status.inner_text())
        session_id = stored(page)["id"]
        escalation = agent.escalation_of(session_id)
        agent.call("POST", f"/api/escalations/{escalation['id']}/claim")
        page.wait_for_function(
            "() => document.querySelector('#kefu-chat-widget').shadowRoot.querySelector('.kefu-handoff')"
            ".textContent === '人工客服 李雷 为您服务'")
        seen = page.locator(".kefu-log .kefu-msg-agent").count()
        agent.call("POST", f"/api/escalations/{escalation['id']}/reply", json={"text": "您好，我是李雷。<b>hi</b>"})
        message = page.locator(".kefu-log .kefu-msg-agent").nth(seen)
        message.wait_for()
        assert message.locator(".kefu-name").inner_text() == "李雷"
        assert message.locator(".kefu-avatar-agent").inner_text() == "李"
        assert texts(page, ".kefu-log .kefu-msg-agent .kefu-bubble")[-1] == "您好，我是李雷。<b>hi</b>"
        agent.call("POST", f"/api/escalations/{escalation['id']}/resolve")
        status.wait_for(state="hidden")
    finally:
        context.close()
        agent.call("POST", "/api/presence", json={"status": "away"})  # later tests expect nobody online
        agent.close()


@requires_build
def test_mobile_chat_page_at_phone_width(kefu: Settings, browser: Any) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=3)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    try:
        started = time.monotonic()
        page.goto(f"{kefu.console_url}/chat")
        page.wait_for_selector(".kefu-conn[data-state=online]", state="attached")  # the page hides "online"
        page.fill(".kefu-input", "你好")
        page.tap(".kefu-send")
        page.locator(BOT).first.wait_for()
        assert time.monotonic() - started < 30
        user = page.locator(USER).first.bounding_box()
        bot = page.locator(BOT).first.bounding_box()
        composer = page.locator(".kefu-composer").bounding_box()
        assert user and bot and composer
        assert user["x"] + user["width"] > 390 - 70 and user["x"] > 390 / 3  # right, next to its avatar
        assert bot["x"] < 80  # left, after the avatar
        assert abs(composer["y"] + composer["height"] - 844) < 2 and composer["width"] >= 389  # input bar at bottom
        assert page.eval_on_selector(USER, "e => getComputedStyle(e).backgroundColor") == "rgb(149, 236, 105)"
        assert page.locator(".kefu-log .kefu-msg-user .kefu-avatar").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        assert refused == []
    finally:
        context.close()


@requires_build
def test_english_browser_gets_english_labels(kefu: Settings, browser: Any, shop: str) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(shop)
        assert page.locator(".kefu-launcher").get_attribute("aria-label") == "Open customer service chat"
        open_widget(page)
        assert page.locator(".kefu-title").inner_text() == "Customer service"
        assert page.locator(".kefu-send").inner_text() == "Send"
        assert page.locator(".kefu-input").get_attribute("placeholder") == "Type a message…"
        assert page.locator(".kefu-close").get_attribute("aria-label") == "Close chat"
        reply = say(page, "hello, are you a robot?")
        assert reply and not any("\u4e00" <= ch <= "\u9fff" for ch in reply)
        page.goto(f"{kefu.console_url}/chat")
        assert page.title() == "Customer service" and page.locator(".kefu-send").inner_text() == "Send"
    finally:
        context.close()
