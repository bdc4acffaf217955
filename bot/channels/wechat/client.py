"""The Official Account API as the channel uses it: an access_token, customer-service text and image messages, and
temporary media (a customer's image fetched, an agent's image uploaded)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, Optional, Tuple

import aiohttp

# WeChat's error codes for an access_token that is invalid or expired: fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}
# WeChat keeps temporary images up to 10 MB; a customer's larger one is not fetched.
MAX_MEDIA_BYTES = 10 * 1024 * 1024


class WeChatApiError(Exception):
    """WeChat's API refused a call or could not be reached."""


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
        await self._send(openid, {"touser": openid, "msgtype": "text", "text": {"content": content}})

    async def send_image(self, openid: str, media_id: str) -> None:
        """Send a customer-service image message (a temporary image uploaded with `upload_image`)."""
        await self._send(openid, {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    async def _send(self, openid: str, body: Dict[str, Any]) -> None:
        for attempt in (0, 1):
            token = await self.access_token(refresh=attempt == 1)
            result = await self._post("/cgi-bin/message/custom/send", {"access_token": token}, body)
            code = int(result.get("errcode", 0) or 0)
            if code == 0:
                return
            if code not in TOKEN_ERRORS:
                break
        raise WeChatApiError(f"message to {openid} refused: {result.get('errcode')} {result.get('errmsg')}")

    async def media(self, media_id: str) -> Tuple[bytes, str]:
        """A customer's image from the media API (`/cgi-bin/media/get`): (bytes, content type)."""
        for attempt in (0, 1):
            token = await self.access_token(refresh=attempt == 1)
            try:
                async with aiohttp.ClientSession(timeout=self.timeout) as session, session.get(
                    f"{self.api_base}/cgi-bin/media/get", params={"access_token": token, "media_id": media_id}
                ) as resp:
                    kind = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
                    data = await resp.content.read(MAX_MEDIA_BYTES + 1)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise WeChatApiError(f"media {media_id}: {exc}") from exc
            if resp.status == 200 and kind.startswith("image/") and len(data) <= MAX_MEDIA_BYTES:
                return data, kind
            try:  # WeChat answers an error as JSON
                code = int(json.loads(data.decode("utf-8", "replace")).get("errcode", 0) or 0)
            except (ValueError, AttributeError):
                code = 0
            if code not in TOKEN_ERRORS:
                break
        raise WeChatApiError(f"media {media_id} not fetched: HTTP {resp.status}, {kind or 'no type'}, "
                             f"{len(data)} bytes")

    async def upload_image(self, data: bytes, filename: str, content_type: str) -> str:
        """Upload an image as temporary media (`/cgi-bin/media/upload?type=image`); its media_id."""
        result: Dict[str, Any] = {}
        for attempt in (0, 1):
            token = await self.access_token(refresh=attempt == 1)
            form = aiohttp.FormData()
            form.add_field("media", data, filename=filename, content_type=content_type)
            try:
                async with aiohttp.ClientSession(timeout=self.timeout) as session, session.post(
                    f"{self.api_base}/cgi-bin/media/upload", params={"access_token": token, "type": "image"},
                    data=form,
                ) as resp:
                    result = dict(await resp.json(content_type=None))
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                raise WeChatApiError(f"media upload: {exc}") from exc
            if result.get("media_id"):
                return str(result["media_id"])
            if int(result.get("errcode", 0) or 0) not in TOKEN_ERRORS:
                break
        raise WeChatApiError(f"image upload refused: {result.get('errcode')} {result.get('errmsg')}")
