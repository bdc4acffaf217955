"""The customer web chat in Debian's Chromium: bundle sizes, and the time from page load to the first bot reply.

Each round is a fresh browser context (no stored session, empty cache) that loads a host page with the widget's
script tag, or the /chat page, and sends "你好" as soon as the chat is there (a customer who types instantly), so
the figures are the machine's share of a first exchange:

- mounted: navigation start → the chat is on the page (script fetched, parsed, run);
- connected: → socket.io connected and the session confirmed by Rasa;
- first reply: → the first bot message is received and shown;
- send → reply: the message on the wire → the bot's first reply.

    .venv/bin/python -m bench.widget [--rounds 20]
    .venv/bin/python -m bench.widget --rasa-url http://127.0.0.1:5005 --console-url http://127.0.0.1:8000  # running
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import free_port, kefu_on_a_kb_copy, summarise_ms, table, write_result
from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS

DIST = Path(__file__).resolve().parent.parent / "widget" / "dist"
MARKS = ("kefu:mounted", "kefu:ready", "kefu:sent", "kefu:reply")
HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1>
<script src="{console}/widget.js" data-server="{rasa}" async></script></body></html>"""


def sizes() -> dict[str, dict[str, int]]:
    """Raw and gzipped (level 9) bytes of each served file."""
    out = {}
    for name in ("widget.js", "chat.js", "chat.css", "chat.html"):
        data = (DIST / name).read_bytes()
        out[name] = {"bytes": len(data), "gzip_bytes": len(gzip.compress(data, 9, mtime=0))}
    return out


@contextlib.contextmanager
def servers(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """(rasa_url, console_url): the given running servers, or fresh ones on a copy of the KB."""
    if args.rasa_url and args.console_url:
        yield args.rasa_url, args.console_url
        return
    with kefu_on_a_kb_copy("kefu-widget-bench-") as settings:
        yield settings.rasa_url, settings.console_url


@contextlib.contextmanager
def host_page(rasa_url: str, console_url: str) -> Iterator[str]:
    """A shop page on its own origin with the widget's script tag."""
    root = Path(tempfile.mkdtemp(prefix="kefu-widget-host-"))
    (root / "index.html").write_text(HOST_PAGE.format(console=console_url, rasa=rasa_url), encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                             functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        shutil.rmtree(root, ignore_errors=True)


def first_exchange(browser: Any, url: str) -> dict[str, float]:
    """One fresh visit: the performance marks (ms since navigation start) of the first exchange."""
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.kefuChat !== undefined", polling="raf")
        page.evaluate("() => { if (kefuChat.open) kefuChat.open(); kefuChat.send('你好'); }")
        page.wait_for_function("() => performance.getEntriesByName('kefu:reply').length > 0", timeout=60_000)
        marks: dict[str, float] = page.evaluate(
            "names => Object.fromEntries(names.map(n => [n, performance.getEntriesByName(n)[0].startTime]))",
            list(MARKS))
        return marks
    finally:
        context.close()


def measure(browser: Any, url: str, rounds: int) -> dict[str, dict[str, float]]:
    """p50/p95/p99/mean of each mark over `rounds` fresh visits."""
    runs = [first_exchange(browser, url) for _ in range(rounds)]
    return {
        "mounted": summarise_ms([r["kefu:mounted"] / 1000 for r in runs]),
        "connected": summarise_ms([r["kefu:ready"] / 1000 for r in runs]),
        "first_reply": summarise_ms([r["kefu:reply"] / 1000 for r in runs]),
        "send_to_reply": summarise_ms([(r["kefu:reply"] - r["kefu:sent"]) / 1000 for r in runs]),
    }


def main() -> int:
    """Measure sizes and first-reply times; print them; write bench/results/widget.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--rasa-url", default="")
    parser.add_argument("--console-url", default="")
    args = parser.parse_args()
    if not (DIST / "widget.js").is_file():
        raise SystemExit("widget/dist is not built: run `make widget` first")
    from playwright.sync_api import sync_playwright

    built = sizes()
    with servers(args) as (rasa_url, console_url), host_page(rasa_url, console_url) as shop, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            first_exchange(browser, shop)  # warm-up: first-call costs of the servers are not measured
            results = {
                "widget": measure(browser, shop, args.rounds),
                "chat_page": measure(browser, f"{console_url}/chat", args.rounds),
            }
        finally:
            browser.close()

    rows: list[tuple[str, object]] = [
        (f"{name} (raw / gzip)", f"{s['bytes'] / 1024:.1f} KiB / {s['gzip_bytes'] / 1024:.1f} KiB")
        for name, s in built.items()
    ]
    for where, figures in results.items():
        for what, stats in figures.items():
            rows.append((f"{where}: {what.replace('_', ' ')} (p50 / p95)",
                         f"{stats['p50_ms']:.0f} / {stats['p95_ms']:.0f} ms"))
    print(f"Web chat, {args.rounds} fresh visits each, loopback, headless Chromium")
    print(table(rows))
    path = write_result("widget", {"rounds": args.rounds, "sizes": built, **results})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
