"""The Official Account API as the channel uses it: an access_token, and customer-service text messages."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any, Dict, Optional

import aiohttp

# WeChat's error codes for an access_token that is invalid or expired: fetch a new one and try once more.
TOKEN_ERRORS = {40001, 40014, 42001}


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
