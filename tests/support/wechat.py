"""A fake WeChat API server (access_token and customer-service messages) on loopback, recording what it gets."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.support.fake_http import send_json


def _content(message: dict[str, Any]) -> str:
    """A sent message's text, or "image:<media_id>" for an image message."""
    if message.get("msgtype") == "image":
        return f"image:{message['image']['media_id']}"
    return str(message.get("text", {}).get("content", ""))


class FakeWeChat:
    """`/cgi-bin/token` hands out numbered tokens; `/cgi-bin/message/custom/send` records messages. The first
    token is reported expired on its first use, so callers must refresh once. `/cgi-bin/media/get` serves the
    images in `media` (id → bytes, as JPEG); `/cgi-bin/media/upload` keeps uploads in `uploads`."""

    def __init__(self, appid: str, secret: str) -> None:
        self.appid, self.secret = appid, secret
        self.tokens_issued = 0
        self.sent: list[dict[str, Any]] = []
        self.media: dict[str, bytes] = {}
        self.uploads: list[bytes] = []
        self.changed = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, body: dict[str, Any]) -> None:
                send_json(self, body)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/cgi-bin/media/get":
                    data = fake.media.get(query.get("media_id", ""))
                    if data is None or not query.get("access_token", "").startswith("token-"):
                        self._json({"errcode": 40007, "errmsg": "invalid media_id"})
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                elif url.path == "/cgi-bin/token" and query.get("appid") == fake.appid and query.get(
                        "secret") == fake.secret:
                    fake.tokens_issued += 1
                    self._json({"access_token": f"token-{fake.tokens_issued}", "expires_in": 7200})
                else:
                    self._json({"errcode": 40013, "errmsg": "invalid appid"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                token = parse_qs(url.query).get("access_token", [""])[0]
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if url.path == "/cgi-bin/media/upload":
                    fake.uploads.append(raw)
                    self._json({"type": "image", "media_id": f"up-{len(fake.uploads)}", "created_at": 1})
                    return
                body = json.loads(raw or b"{}")
                if url.path != "/cgi-bin/message/custom/send":
                    self._json({"errcode": 404, "errmsg": "unknown"})
                elif token == "token-1":
                    self._json({"errcode": 42001, "errmsg": "access_token expired"})
                elif not token.startswith("token-"):
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})
                else:
                    with fake.changed:
                        fake.sent.append({"token": token, **body})
                        fake.changed.notify_all()
                    self._json({"errcode": 0, "errmsg": "ok"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, openid: str, check: Any, timeout: float = 30.0) -> dict[str, Any]:
        """The first message sent to openid whose text passes check."""
        with self.changed:
            ok = self.changed.wait_for(lambda: any(
                m["touser"] == openid and check(_content(m)) for m in self.sent), timeout)
            if not ok:
                raise TimeoutError(f"nothing for {openid}; sent {self.sent}")
            return next(m for m in self.sent if m["touser"] == openid and check(_content(m)))

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
