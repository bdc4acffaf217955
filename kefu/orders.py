"""Order lookups: the shop's order API when KEFU_ORDER_API_URL is set, else a local demo order book (the bot's order
form and the desk's contact profile share it)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import httpx
import yaml

from kefu.config import Settings

DEMO_ORDERS = Path(__file__).with_name("demo_orders.yml")
STATUSES = ("pending_payment", "paid", "shipped", "delivered", "cancelled")


class OrderServiceError(Exception):
    """The order system could not be asked (down, timed out, or answered nonsense)."""


@dataclass(frozen=True)
class Order:
    """What the bot tells a customer about one order."""

    number: str
    status: str
    carrier: dict[str, str]
    tracking_number: str = ""
    eta: str = ""
    delivered_at: str = ""

    def carrier_name(self, language: str) -> str:
        """The carrier's name in the customer's language, else any name it has."""
        return self.carrier.get(language) or next(iter(self.carrier.values()), "")


def parse_order(raw: object) -> Order:
    """Build an Order from an API or demo record, rejecting unknown statuses."""
    if not isinstance(raw, dict) or not raw.get("number") or raw.get("status") not in STATUSES:
        raise OrderServiceError(f"unexpected order record: {json.dumps(raw, ensure_ascii=False)[:200]}")
    carrier = raw.get("carrier") or {}
    if isinstance(carrier, str):
        carrier = {"zh": carrier, "en": carrier}
    return Order(
        number=str(raw["number"]),
        status=str(raw["status"]),
        carrier={str(k): str(v) for k, v in carrier.items()},
        tracking_number=str(raw.get("tracking_number", "")),
        eta=str(raw.get("eta", "")),
        delivered_at=str(raw.get("delivered_at", "")),
    )


class OrderClient(Protocol):
    """Anything that can look an order up by its number and issue a compensation (a coupon, points, a refund)."""

    async def get(self, number: str) -> Order | None:
        """The order, or None when there is no such order."""
        ...

    async def issue(self, key: str, kind: str, amount: float, customer: str) -> str:
        """Issue a compensation once per idempotency key; its code (the coupon, or the refund's reference)."""
        ...


# The demo codes' prefix per kind of compensation.
CODE_PREFIX = {"coupon": "CPN", "points": "PTS", "shipping_refund": "RFS", "partial_refund": "RFP"}


def is_late(order: Order, today: date) -> bool:
    """Whether an order not yet delivered is past the delivery date the shop promised (its `eta`)."""
    if order.status not in ("paid", "shipped") or not order.eta:
        return False
    try:
        return date.fromisoformat(order.eta[:10]) < today
    except ValueError:
        return False


class DemoOrderBook:
    """Orders from a YAML file: the local mode used by `make run` and the tests."""

    def __init__(self, path: Path = DEMO_ORDERS) -> None:
        records = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        self._orders = {order.number: order for order in map(parse_order, records)}

    async def get(self, number: str) -> Order | None:
        """The demo order with this number, if any."""
        return self._orders.get(number)

    async def issue(self, key: str, kind: str, amount: float, customer: str) -> str:
        """A demo code, the same for the same key (as a real coupon system's idempotent issue would be)."""
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8].upper()
        return f"{CODE_PREFIX.get(kind, 'CMP')}-{digest}"


class HttpOrderClient:
    """The shop's order API: GET {base}/orders/{number} → order JSON, 404 when unknown."""

    def __init__(self, base_url: str, token: str = "", timeout: float = 3.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    async def get(self, number: str) -> Order | None:
        """Ask the API; map transport and format problems to OrderServiceError."""
        try:
            resp = await self._client.get(f"/orders/{number}")
        except httpx.HTTPError as exc:
            raise OrderServiceError(f"order API unreachable: {exc}") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise OrderServiceError(f"order API answered {resp.status_code}")
        try:
            return parse_order(resp.json())
        except ValueError as exc:
            raise OrderServiceError("order API answered with invalid JSON") from exc

    async def issue(self, key: str, kind: str, amount: float, customer: str) -> str:
        """POST {base}/compensations {key, kind, amount, customer} → {"code": …}; the key makes a retry safe."""
        try:
            resp = await self._client.post("/compensations", json={"key": key, "kind": kind, "amount": amount,
                                                                   "customer": customer})
            code = resp.json().get("code") if resp.status_code in (200, 201) else None
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            raise OrderServiceError(f"compensation not issued: {exc}") from exc
        if not isinstance(code, str) or not code:
            raise OrderServiceError(f"compensation not issued: the order API answered {resp.status_code}")
        return code


def order_client(settings: Settings) -> OrderClient:
    """The order client the settings ask for."""
    if settings.order_api_url:
        return HttpOrderClient(settings.order_api_url, settings.order_api_token.get_secret_value())
    return DemoOrderBook()
