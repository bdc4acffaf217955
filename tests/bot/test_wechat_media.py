"""WeChat images in a hand-over: a customer's image fetched through WeChat's media API and kept by the console for
the agent; an agent's image uploaded as temporary media and sent as an image message; a file sent as its link."""

from __future__ import annotations

import asyncio
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.wechat import WeChatInput
from bot.channels.wechat.channel import IMAGE_TEXT, WeChatOutput
from bot.channels.wechat.crypto import signature
from tests.support.fake_http import send_json
from tests.support.wechat import FakeWeChat

TOKEN, APPID, SECRET = "kefu-token", "wx-kefu-test", "s3cret"
JPEG = b"\xff\xd8\xff\xe0 a customer's photo"
PNG = b"\x89PNG\r\n\x1a\n an agent's label"


class FakeConsole:
    """The console's upload route (201 while `hand_over`, else 409) and one agent file at /files/agent-file."""

    def __init__(self) -> None:
        self.hand_over = True
        self.uploads: list[bytes] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                fake.uploads.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if fake.hand_over:
                    send_json(self, {"token": "tok-1", "filename": "wechat.jpg"}, 201)
                else:
                    send_json(self, {"detail": "files go to an agent: ask for a person first"}, 409)

            def do_GET(self) -> None:
                self.send_response(200 if self.path == "/files/agent-file" else 404)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(PNG)))
                self.end_headers()
                self.wfile.write(PNG)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeWeChat, FakeConsole]]:
    wechat, console = FakeWeChat(APPID, SECRET), FakeConsole()
    monkeypatch.setenv("KEFU_CONSOLE_URL", console.url)
    yield wechat, console
    wechat.close()
    console.server.shutdown()


class Bot:
    def __init__(self) -> None:
        self.seen: list[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message)


def image_xml(media_id: str, msg_id: str) -> bytes:
    return (f"<xml><ToUserName>gh_kefu</ToUserName><FromUserName>o-user</FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>{media_id}</MediaId>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()


def signed() -> dict[str, str]:
    ts = str(int(time.time()))
    return {"signature": signature(TOKEN, ts, "n1"), "timestamp": ts, "nonce": "n1"}


def test_a_customers_image_reaches_the_desk_through_the_media_api(servers: Any) -> None:
    wechat_api, console = servers
    wechat_api.media["m-1"] = JPEG
    channel = WeChatInput(token=TOKEN, appid=APPID, secret=SECRET, api_base=wechat_api.url)
    bot = Bot()
    asyncio.run(channel.handle(image_xml("m-1", "7001"), signed(), bot))
    assert bot.seen[-1].text == IMAGE_TEXT and bot.seen[-1].metadata["attachment"] == "tok-1"
    upload = console.uploads[-1]
    assert JPEG in upload and b"o-user" in upload and b'filename="wechat-7001.jpg"' in upload

    console.hand_over = False  # no hand-over: the bot's usual answer to a picture
    asyncio.run(channel.handle(image_xml("m-1", "7002"), signed(), bot))
    assert bot.seen[-1].text == '/send_media{"media_type": "image"}' and "attachment" not in bot.seen[-1].metadata
    asyncio.run(channel.handle(image_xml("gone", "7003"), signed(), bot))  # WeChat no longer has it
    assert bot.seen[-1].text == '/send_media{"media_type": "image"}'


def test_an_agents_image_and_file_reach_the_wechat_customer(servers: Any) -> None:
    wechat_api, console = servers
    channel = WeChatInput(token=TOKEN, appid=APPID, secret=SECRET, api_base=wechat_api.url)
    output = channel.get_output_channel()
    assert isinstance(output, WeChatOutput)
    asyncio.run(output.send_response("o-user", {"text": None, "image": f"{console.url}/files/agent-file",
                                                "agent_name": "Ann"}))
    sent = wechat_api.wait_for("o-user", lambda content: content.startswith("image:"))
    assert sent["image"]["media_id"] == "up-1" and PNG in wechat_api.uploads[0]
    asyncio.run(output.send_response("o-user", {"text": "退货指南", "agent_name": "Ann", "attachment": {
        "type": "file", "payload": {"url": f"{console.url}/files/guide", "name": "guide.pdf"}}}))
    link = wechat_api.wait_for("o-user", lambda content: "guide.pdf" in content)
    assert link["text"]["content"] == f"Ann：退货指南\nguide.pdf {console.url}/files/guide"
