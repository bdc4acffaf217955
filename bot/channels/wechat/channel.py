"""WeChat Official Account channel: `/webhooks/wechat/webhook` speaks WeChat's XML protocol.

- GET: URL verification (`signature` over token, timestamp, nonce; echo `echostr`).
- POST: text messages, events (subscribe → welcome, menu clicks → their key), voice (WeChat's recognition text when
  enabled), images, locations and other media (answered politely in the conversation's language); plaintext, and
  safe mode (AES with `msg_signature`, see crypto.py).
- During a hand-over a customer's image is fetched through WeChat's media API and kept by the console for the agent
  (the message reads "[图片]" and carries the file's token); an agent's image is uploaded as temporary media and
  sent as an image message, a file as its name and link.
- The answer goes back as the passive reply when the bot is done within `reply_timeout_s` (WeChat waits 5 s), else
  "success" at once and the answer follows through the customer-service message API (client.py); agent replies and
  other external events use that API too.
- WeChat retries an unanswered message three times: each MsgId is processed once, by whichever replica gets it
  first (the MsgIds seen, and each customer's numbered choices, live in Redis when KEFU_REDIS_URL is set).
- Refused: a wrong signature or a stale timestamp (403, nothing processed), oversized bodies (413), malformed XML,
  XML bombs and external entities (400, see xml.py). A customer's empty or too long message gets a passive reply
  in their language, worded by the domain (wording.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple
from xml.etree.ElementTree import Element

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import DEFAULT_MAX_MESSAGE_CHARS, MessageRejected, clean_text, max_chars_from
from bot.channels.wechat.buttons import Choices, render
from bot.channels.wechat.client import WeChatApiError, WeChatClient
from bot.channels.wechat.crypto import MessageCrypto, WeChatCryptoError, check_signature
from bot.channels.wechat.wording import Wording
from bot.channels.wechat.xml import field, parse, reply_xml, sealed_xml, to_text
from bot.shared_state import SharedState

logger = logging.getLogger(__name__)

REQUIRED = ("token", "appid", "secret", "encoding_aes_key", "api_base")
# How long a MsgId is remembered: WeChat retries within about 15 s; an hour also covers a slow network.
RETRY_MEMORY_S = 3600.0
# What the bot and the desk read for a customer's image that reached the desk (what WeChat shows in chat lists).
IMAGE_TEXT = "[图片]"
MEDIA_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
MAX_FILE_BYTES = 10 * 1024 * 1024


async def fetch_file(url: str) -> Tuple[bytes, str]:
    """An agent's image from the console: (bytes, content type); WeChatApiError if it cannot be had."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, session.get(url) as resp:
            kind = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
            data = await resp.content.read(MAX_FILE_BYTES + 1)
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise WeChatApiError(f"{url}: {exc}") from exc
    if resp.status != 200 or not kind.startswith("image/") or len(data) > MAX_FILE_BYTES:
        raise WeChatApiError(f"{url}: HTTP {resp.status}, {kind or 'no type'}")
    return data, kind


def _arg(args: Mapping[str, Any], key: str) -> str:
    """One query parameter (Sanic gives lists)."""
    value = args.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _error(exc: MessageRejected) -> Tuple[int, str, str]:
    return exc.status, json.dumps(exc.as_dict()), "application/json"


class WeChatCollector(CollectingOutputChannel):
    """Collects the bot's answer for the passive reply, under the channel's own name, so that responses with a
    WeChat variant (`channel: wechat` in the domain: no buttons where a typed number is meant) use it."""

    @classmethod
    def name(cls) -> str:
        """The input channel's name (Rasa picks channel-specific responses by the output channel's)."""
        return "wechat"


class WeChatOutput(OutputChannel):
    """Messages after the passive reply (slow answers, agent replies) through the customer-service API."""

    @classmethod
    def name(cls) -> str:
        """Same name as the input channel."""
        return "wechat"

    def __init__(self, client: WeChatClient, choices: Choices, wording: Optional[Wording] = None) -> None:
        self.client = client
        self.choices = choices
        self.wording = wording or Wording(self.name())

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """One API message per bot message; buttons as numbered lines; an agent's image as an image message, a file
        as its name and link."""
        image, attachment = message.get("image"), message.get("attachment")
        if isinstance(attachment, dict):
            payload = attachment.get("payload") or {}
            if payload.get("url"):
                text = str(message.get("text") or "")
                link = f"{payload.get('name') or ''} {payload['url']}".strip()
                message = {**message, "text": link if text in ("", payload.get("name")) else f"{text}\n{link}"}
        text, payloads = render(message, self.wording) if message.get("text") else ("", [])
        if text:
            await self.choices.offer(recipient_id, payloads)
            try:
                await self.client.send_text(recipient_id, text)
            except WeChatApiError as exc:
                logger.error("WeChat message to %s not sent: %s", recipient_id, exc)
        if isinstance(image, str) and image:
            await self._send_image(recipient_id, image)

    async def _send_image(self, recipient_id: str, url: str) -> None:
        """Fetch the image from the console, upload it as WeChat media and send it; its link if that fails."""
        try:
            data, kind = await fetch_file(url)
            media_id = await self.client.upload_image(data, "image." + kind.rsplit("/", 1)[-1], kind)
            await self.client.send_image(recipient_id, media_id)
            return
        except WeChatApiError as exc:
            logger.warning("image to %s not sent as an image (%s): sending its link", recipient_id, exc)
        try:
            await self.client.send_text(recipient_id, url)
        except WeChatApiError as exc:
            logger.error("WeChat message to %s not sent: %s", recipient_id, exc)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Plain text."""
        await self.send_response(recipient_id, {"text": text, **kwargs})


class WeChatInput(InputChannel):
    """The WeChat Official Account webhook."""

    @classmethod
    def name(cls) -> str:
        """The webhook is /webhooks/wechat/webhook."""
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Every key must be in credentials.yml (values may be empty: the webhook then answers 503)."""
        credentials = credentials or {}
        missing = [key for key in REQUIRED if key not in credentials]
        if missing:
            raise ValueError(f"credentials.yml: the wechat channel needs {', '.join(missing)}")
        return cls(
            token=str(credentials["token"] or ""),
            appid=str(credentials["appid"] or ""),
            secret=str(credentials["secret"] or ""),
            encoding_aes_key=str(credentials["encoding_aes_key"] or ""),
            api_base=str(credentials["api_base"] or "https://api.weixin.qq.com"),
            reply_timeout_s=float(credentials.get("reply_timeout_s") or 4.5),
            max_body_bytes=int(credentials.get("max_body_bytes") or 65536),
            max_age_s=float(credentials.get("max_age_s") or 300),
            max_message_chars=max_chars_from(credentials),
        )

    def __init__(
        self,
        token: str,
        appid: str,
        secret: str,
        encoding_aes_key: str = "",
        api_base: str = "https://api.weixin.qq.com",
        reply_timeout_s: float = 4.5,
        max_body_bytes: int = 65536,
        max_age_s: float = 300.0,
        max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS,
    ) -> None:
        self.token = token
        self.appid = appid
        self.crypto = MessageCrypto(token, encoding_aes_key, appid) if encoding_aes_key else None
        self.client = WeChatClient(api_base, appid, secret)
        # WeChat's retries and the numbered choices, in Redis when replicas share them (KEFU_REDIS_URL).
        self.state = SharedState.from_env()
        self.choices = Choices(self.state)
        self.wording = Wording(self.name())
        self.reply_timeout_s = reply_timeout_s
        self.max_body_bytes = max_body_bytes
        self.max_age_s = max_age_s
        self.max_message_chars = max_message_chars
        self._pending: set[asyncio.Task[Any]] = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For external events (agent replies): the customer-service API."""
        return WeChatOutput(self.client, self.choices, self.wording)

    # -- checks ----------------------------------------------------------------------------------------
    def _fresh(self, timestamp: str) -> bool:
        try:
            return abs(time.time() - int(timestamp)) <= self.max_age_s
        except ValueError:
            return False

    async def _first_time(self, key: str) -> bool:
        """True the first time a message key is seen, by any replica (WeChat's retries carry the same MsgId)."""
        return await self.state.first_time(f"wechat:msg:{self.appid}:{key}", RETRY_MEMORY_S)

    def _parse(self, body: bytes, args: Dict[str, str]) -> Tuple[Element, bool]:
        """The message's XML (decrypted in safe mode) and whether the reply must be encrypted."""
        root = parse(body)
        encrypted = field(root, "Encrypt")
        if not encrypted:
            return root, False
        if self.crypto is None:
            raise MessageRejected(400, "NoAESKey", "an encrypted message, but no EncodingAESKey is configured")
        if not self.crypto.check(args["msg_signature"], args["timestamp"], args["nonce"], encrypted):
            raise MessageRejected(403, "BadSignature", "msg_signature does not match")
        try:
            inner = self.crypto.decrypt(encrypted)
        except WeChatCryptoError as exc:
            raise MessageRejected(400, "BadCiphertext", str(exc)) from None
        return parse(inner.encode("utf-8"), "the decrypted message"), True

    # -- the webhook -----------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, URL verification and the message webhook."""
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.listener("before_server_start")
        async def bind_wording(app: Any, _loop: Any) -> None:
            # What the channel says itself comes from the domain of the agent this app serves.
            self.wording.bind(app)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": bool(self.token)})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.token:
                return response.json({"status": "failure", "reason": "NotConfigured"}, status=503)
            args = request.args
            if not check_signature(_arg(args, "signature"), self.token, _arg(args, "timestamp"), _arg(args, "nonce")):
                return response.text("invalid signature", status=403)
            return response.text(_arg(args, "echostr"))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status, body, content_type = await self.handle(request.body or b"", request.args, on_new_message)
            return response.text(body, status=status, content_type=content_type)

        return webhook

    async def handle(
        self, body: bytes, args: Mapping[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Tuple[int, str, str]:
        """One POST to the webhook: (status, body, content type). Checks before anything reaches the bot."""
        if not self.token:
            return _error(MessageRejected(503, "NotConfigured", "the WeChat channel has no token"))
        query = {key: _arg(args, key) for key in ("signature", "timestamp", "nonce", "msg_signature")}
        if not check_signature(query["signature"], self.token, query["timestamp"], query["nonce"]):
            return _error(MessageRejected(403, "BadSignature", "signature does not match"))
        if not self._fresh(query["timestamp"]):
            return _error(MessageRejected(403, "StaleTimestamp", "timestamp is too old or in the future"))
        if len(body) > self.max_body_bytes:
            return _error(MessageRejected(413, "BodyTooLarge", f"the body is over {self.max_body_bytes} bytes"))
        try:
            root, encrypted = self._parse(body, query)
        except MessageRejected as exc:
            return _error(exc)
        openid, account = field(root, "FromUserName"), field(root, "ToUserName")
        if not openid:
            return _error(MessageRejected(400, "NoSender", "FromUserName is missing"))
        key = field(root, "MsgId") or f"{openid}:{field(root, 'CreateTime')}:{field(root, 'Event')}"
        if not await self._first_time(key):
            return 200, "success", "text/plain"  # a retry: the first delivery is (being) answered
        text = to_text(root)
        if text is None:
            return 200, "success", "text/plain"
        metadata = {"wechat_account": account, "wechat_msg_type": field(root, "MsgType")}
        if field(root, "MsgType").lower() == "image" and field(root, "MediaId"):
            # For the agent of a hand-over: kept by the console, carried on the message. Without a hand-over the
            # console refuses it and the bot's usual "I can only read text" stands.
            token = await self._store_image(openid, field(root, "MediaId"), field(root, "MsgId") or key)
            if token:
                text, metadata["attachment"] = IMAGE_TEXT, token
        text = await self.choices.pick(openid, text)
        try:
            text = clean_text(text, self.max_message_chars)
        except MessageRejected as exc:
            logger.info("WeChat message from %s refused: %s", openid, exc.message)
            refusal = await self.wording.refusal(exc, openid, text, limit=self.max_message_chars)
            return self._reply(openid, account, refusal, encrypted)

        output = WeChatCollector()
        message = UserMessage(text, output, openid, input_channel=self.name(), metadata=metadata)
        task = asyncio.ensure_future(on_new_message(message))
        done, _ = await asyncio.wait({task}, timeout=self.reply_timeout_s)
        if not done:
            # WeChat stops waiting at 5 s: answer "success" now and send the answer through the API when ready.
            self._pending.add(task)
            task.add_done_callback(lambda t: self._later(t, openid, output))
            return 200, "success", "text/plain"
        if task.exception() is not None:
            logger.error("WeChat message from %s failed: %s", openid, task.exception())
            return 200, "success", "text/plain"
        texts = []
        for bot_message in output.messages:
            rendered, payloads = render(bot_message, self.wording)
            await self.choices.offer(openid, payloads)
            if rendered:
                texts.append(rendered)
        if not texts:
            return 200, "success", "text/plain"
        return self._reply(openid, account, "\n\n".join(texts), encrypted)

    async def _store_image(self, openid: str, media_id: str, msg_id: str) -> Optional[str]:
        """Fetch a customer's image through WeChat's media API and give it to the console for their hand-over; its
        token, or None (no hand-over, or WeChat or the console failed: logged)."""
        console = os.environ.get("KEFU_CONSOLE_URL", "").rstrip("/")
        if not console:
            return None
        try:
            data, kind = await self.client.media(media_id)
        except WeChatApiError as exc:
            logger.warning("image from %s not fetched: %s", openid, exc)
            return None
        form = aiohttp.FormData()
        form.add_field("conversation_id", openid)
        extension = MEDIA_EXTENSIONS.get(kind, "jpg")
        form.add_field("file", data, filename=f"wechat-{msg_id}.{extension}", content_type=kind)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, session.post(
                f"{console}/api/widget/attachments", data=form
            ) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            logger.warning("image from %s not stored: %s", openid, exc)
            return None
        if resp.status != 201 or not isinstance(body, dict):
            logger.info("image from %s not kept by the desk: %s %s", openid, resp.status,
                        body.get("detail") if isinstance(body, dict) else body)
            return None
        return str(body["token"])

    def _reply(self, openid: str, account: str, content: str, encrypted: bool) -> Tuple[int, str, str]:
        body = reply_xml(openid, account, content)
        if encrypted and self.crypto is not None:
            body = sealed_xml(self.crypto.seal(body, str(int(time.time())), secrets.token_hex(8)))
        return 200, body, "application/xml"

    def _later(self, task: asyncio.Task[Any], openid: str, output: CollectingOutputChannel) -> None:
        self._pending.discard(task)
        if task.cancelled() or task.exception() is not None:
            logger.error("slow WeChat message from %s failed", openid)
            return
        sender = WeChatOutput(self.client, self.choices, self.wording)
        followup = asyncio.ensure_future(self._send_all(sender, openid, list(output.messages)))
        self._pending.add(followup)
        followup.add_done_callback(self._pending.discard)

    @staticmethod
    async def _send_all(sender: WeChatOutput, openid: str, messages: List[Dict[str, Any]]) -> None:
        for bot_message in messages:
            await sender.send_response(openid, dict(bot_message))
