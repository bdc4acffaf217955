"""WeChat Official Account channel: `/webhooks/wechat/webhook` speaks WeChat's XML protocol.

- GET: URL verification (`signature` over token, timestamp, nonce; echo `echostr`).
- POST: text messages, events (subscribe → welcome, menu clicks → their key), voice (WeChat's recognition text when
  enabled), images, locations and other media (answered politely in the conversation's language); plaintext, and
  safe mode (AES with `msg_signature`, see wechat_crypto.py).
- The answer goes back as the passive reply when the bot is done within `reply_timeout_s` (WeChat waits 5 s), else
  "success" at once and the answer follows through the customer-service message API; agent replies and other
  external events use that API too (`access_token` fetched, cached, refreshed).
- WeChat retries an unanswered message three times: each MsgId is processed once.
- Refused: a wrong signature or a stale timestamp (403, nothing processed), oversized bodies (413), malformed XML,
  XML bombs and external entities (400, parsed with defusedxml).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import re
import secrets
import time
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Tuple
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.guard import DEFAULT_MAX_MESSAGE_CHARS, MessageRejected, clean_text, max_chars_from
from bot.channels.wechat_crypto import MessageCrypto, WeChatCryptoError, check_signature

logger = logging.getLogger(__name__)

REQUIRED = ("token", "appid", "secret", "encoding_aes_key", "api_base")
MEDIA = {"image", "voice", "video", "shortvideo", "location", "link", "file"}
# WeChat's error codes for an access_token that is invalid or expired: fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}
CHOICE_TTL_S = 600.0
HAN = re.compile("[\u4e00-\u9fff]")


class WeChatApiError(Exception):
    """WeChat's API refused a call or could not be reached."""


def render(message: Dict[str, Any]) -> Tuple[str, List[str]]:
    """A bot message as WeChat text: buttons become numbered lines. Returns (text, the buttons' payloads)."""
    text = str(message.get("text") or "")
    agent = (message.get("agent_name") or "").strip()
    if agent:
        text = f"{agent}：{text}" if HAN.search(text) else f"{agent}: {text}"
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if not buttons:
        return text, []
    lines = [f"{number}. {button.get('title', '')}" for number, button in enumerate(buttons, 1)]
    hint = "回复序号即可选择" if HAN.search(text) else "Reply with a number to choose"
    return "\n".join([text, "", *lines, f"（{hint}）" if HAN.search(text) else f"({hint})"]), [
        str(b.get("payload") or b.get("title") or "") for b in buttons
    ]


def reply_xml(to_user: str, from_user: str, content: str) -> str:
    """A passive text reply."""
    return (
        f"<xml><ToUserName><![CDATA[{to_user}]]></ToUserName><FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{escape(content)}</Content></xml>"
    )


def _arg(args: Mapping[str, Any], key: str) -> str:
    """One query parameter (Sanic gives lists)."""
    value = args.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _error(exc: MessageRejected) -> Tuple[int, str, str]:
    return exc.status, json.dumps(exc.as_dict()), "application/json"


def field(root: Element, name: str) -> str:
    """The text of a child element ('' when absent)."""
    node = root.find(name)
    return (node.text or "").strip() if node is not None else ""


class WeChatClient:
    """The Official Account API: access_token (cached until shortly before it expires) and customer-service text."""

    def __init__(self, api_base: str, appid: str, secret: str, timeout_s: float = 10.0) -> None:
        self.api_base = api_base.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._token: Optional[str] = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def _get(self, path: str, params: Dict[str, str]) -> Dict[str, Any]:
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session, session.get(
                f"{self.api_base}{path}", params=params
            ) as resp:
                return dict(await resp.json(content_type=None))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise WeChatApiError(f"GET {path}: {exc}") from exc

    async def _post(self, path: str, params: Dict[str, str], body: Dict[str, Any]) -> Dict[str, Any]:
        try:
            async with aiohttp.ClientSession(timeout=self.timeout) as session:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                headers = {"Content-Type": "application/json; charset=utf-8"}
                async with session.post(f"{self.api_base}{path}", params=params, data=data, headers=headers) as resp:
                    return dict(await resp.json(content_type=None))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise WeChatApiError(f"POST {path}: {exc}") from exc

    async def access_token(self, refresh: bool = False) -> str:
        """A valid access_token, fetched once and shared until five minutes before it expires."""
        async with self._lock:
            if refresh or self._token is None or time.monotonic() >= self._expires:
                got = await self._get("/cgi-bin/token", {"grant_type": "client_credential", "appid": self.appid,
                                                          "secret": self.secret})
                if not got.get("access_token"):
                    raise WeChatApiError(f"no access_token: {got.get('errcode')} {got.get('errmsg')}")
                self._token = str(got["access_token"])
                self._expires = time.monotonic() + max(60, int(got.get("expires_in", 7200)) - 300)
            return self._token

    async def send_text(self, openid: str, content: str) -> None:
        """Send a customer-service text message (the 48-hour window after the customer's last message)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in (0, 1):
            token = await self.access_token(refresh=attempt == 1)
            result = await self._post("/cgi-bin/message/custom/send", {"access_token": token}, body)
            code = int(result.get("errcode", 0) or 0)
            if code == 0:
                return
            if code not in TOKEN_ERRORS:
                break
        raise WeChatApiError(f"message to {openid} refused: {result.get('errcode')} {result.get('errmsg')}")


class Choices:
    """The buttons last shown to each customer, so a reply "2" picks the second (WeChat text has no buttons).

    In this process's memory: after a restart, or on another replica, a digit goes to the NLU like any text.
    """

    def __init__(self) -> None:
        self._offered: Dict[str, Tuple[float, List[str]]] = {}

    def offer(self, openid: str, payloads: List[str]) -> None:
        """Remember the payloads offered (an empty list forgets them)."""
        if payloads:
            self._offered[openid] = (time.monotonic(), payloads)
        else:
            self._offered.pop(openid, None)

    def pick(self, openid: str, text: str) -> str:
        """The payload a bare number picks, else the text unchanged."""
        offered = self._offered.get(openid)
        if not offered or time.monotonic() - offered[0] > CHOICE_TTL_S or not text.strip().isdigit():
            return text
        number = int(text.strip())
        payloads = offered[1]
        return payloads[number - 1] if 1 <= number <= len(payloads) else text


class WeChatOutput(OutputChannel):
    """Messages after the passive reply (slow answers, agent replies) through the customer-service API."""

    @classmethod
    def name(cls) -> str:
        """Same name as the input channel."""
        return "wechat"

    def __init__(self, client: WeChatClient, choices: Choices) -> None:
        self.client = client
        self.choices = choices

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        """One API message per bot message; buttons as numbered lines."""
        text, payloads = render(message)
        if not text:
            return
        self.choices.offer(recipient_id, payloads)
        try:
            await self.client.send_text(recipient_id, text)
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
        self.choices = Choices()
        self.reply_timeout_s = reply_timeout_s
        self.max_body_bytes = max_body_bytes
        self.max_age_s = max_age_s
        self.max_message_chars = max_message_chars
        self._seen: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._pending: set[asyncio.Task[Any]] = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For external events (agent replies): the customer-service API."""
        return WeChatOutput(self.client, self.choices)

    # -- checks ----------------------------------------------------------------------------------------
    def _fresh(self, timestamp: str) -> bool:
        try:
            return abs(time.time() - int(timestamp)) <= self.max_age_s
        except ValueError:
            return False

    def _first_time(self, key: str) -> bool:
        """True the first time a message key is seen (WeChat's retries carry the same MsgId)."""
        now = time.monotonic()
        while self._seen and (len(self._seen) > 10000 or now - next(iter(self._seen.values())) > 3600):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True

    def _parse(self, body: bytes, args: Dict[str, str]) -> Tuple[Element, bool]:
        """The message's XML (decrypted in safe mode) and whether the reply must be encrypted."""
        try:
            root = fromstring(body)
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise MessageRejected(400, "MalformedXML", f"the body is not acceptable XML: {exc}") from None
        encrypted = field(root, "Encrypt")
        if not encrypted:
            return root, False
        if self.crypto is None:
            raise MessageRejected(400, "NoAESKey", "an encrypted message, but no EncodingAESKey is configured")
        if not self.crypto.check(args["msg_signature"], args["timestamp"], args["nonce"], encrypted):
            raise MessageRejected(403, "BadSignature", "msg_signature does not match")
        try:
            inner = self.crypto.decrypt(encrypted)
            return fromstring(inner.encode("utf-8")), True
        except WeChatCryptoError as exc:
            raise MessageRejected(400, "BadCiphertext", str(exc)) from None
        except (ParseError, DefusedXmlException, ValueError) as exc:
            raise MessageRejected(400, "MalformedXML", f"the decrypted message is not acceptable XML: {exc}") from None

    @staticmethod
    def to_text(root: Element) -> Optional[str]:
        """What the bot should read for this message, or None for events it ignores."""
        kind = field(root, "MsgType").lower()
        if kind == "text":
            return field(root, "Content")
        if kind == "event":
            event = field(root, "Event").lower()
            if event == "subscribe":
                return "/greet"
            if event == "click":
                return field(root, "EventKey") or None
            return None  # unsubscribe, menu links, location reports, template receipts: nothing to say
        if kind == "voice" and field(root, "Recognition"):
            return field(root, "Recognition")
        if kind in MEDIA:
            return '/send_media{"media_type": "' + kind + '"}'
        return '/send_media{"media_type": "other"}'

    # -- the webhook -----------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Health, URL verification and the message webhook."""
        webhook = Blueprint("wechat_webhook", __name__)

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
        if not self._first_time(key):
            return 200, "success", "text/plain"  # a retry: the first delivery is (being) answered
        text = self.to_text(root)
        if text is None:
            return 200, "success", "text/plain"
        text = self.choices.pick(openid, text)
        try:
            text = clean_text(text, self.max_message_chars)
        except MessageRejected as exc:
            logger.info("WeChat message from %s refused: %s", openid, exc.message)
            return self._reply(openid, account, exc.message, encrypted)

        output = CollectingOutputChannel()
        message = UserMessage(text, output, openid, input_channel=self.name(),
                              metadata={"wechat_account": account, "wechat_msg_type": field(root, "MsgType")})
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
            rendered, payloads = render(bot_message)
            self.choices.offer(openid, payloads)
            if rendered:
                texts.append(rendered)
        if not texts:
            return 200, "success", "text/plain"
        return self._reply(openid, account, "\n\n".join(texts), encrypted)

    def _reply(self, openid: str, account: str, content: str, encrypted: bool) -> Tuple[int, str, str]:
        body = reply_xml(openid, account, content)
        if encrypted and self.crypto is not None:
            sealed = self.crypto.seal(body, str(int(time.time())), secrets.token_hex(8))
            body = "<xml>" + "".join(
                f"<{k}><![CDATA[{v}]]></{k}>" if k in ("Encrypt", "MsgSignature", "Nonce") else f"<{k}>{v}</{k}>"
                for k, v in sealed.items()
            ) + "</xml>"
        return 200, body, "application/xml"

    def _later(self, task: asyncio.Task[Any], openid: str, output: CollectingOutputChannel) -> None:
        self._pending.discard(task)
        if task.cancelled() or task.exception() is not None:
            logger.error("slow WeChat message from %s failed", openid)
            return
        sender = WeChatOutput(self.client, self.choices)
        followup = asyncio.ensure_future(self._send_all(sender, openid, list(output.messages)))
        self._pending.add(followup)
        followup.add_done_callback(self._pending.discard)

    @staticmethod
    async def _send_all(sender: WeChatOutput, openid: str, messages: List[Dict[str, Any]]) -> None:
        for bot_message in messages:
            await sender.send_response(openid, dict(bot_message))
