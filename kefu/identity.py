"""The shop's own customer id, signed: a logged-in customer's conversations on every channel join up only when the
shop vouched for the id with an HMAC made with `KEFU_IDENTITY_SECRET` (as Intercom's and Zendesk's "identity
verification" do), so nobody can read another customer's history by typing their id into the widget.

The shop's server computes `hex(HMAC-SHA256(secret, customer_id))` and puts it in the page beside the id; Kefu's
channels check it on every message (bot/channels/guard.py) and pass on only a verified id. Standard library only:
Rasa's channels load this module.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Dict, Optional

CUSTOMER_ID = "customer_id"
SIGNATURE = "customer_signature"
# Set by Kefu's channels, never taken from a client: the id beside it was signed with the shop's secret.
VERIFIED = "customer_verified"
# Why a claimed id was not accepted (unsigned, forged, or no secret configured), for logs and the desk.
REFUSED = "identity_refused"
MAX_ID_CHARS = 128


def sign(customer_id: str, secret: str) -> str:
    """The signature the shop's server gives the page for a customer id: hex HMAC-SHA256 under the secret."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def is_valid(customer_id: str, signature: str, secret: str) -> bool:
    """Whether the signature is the shop's for this id (constant-time; no secret: nothing is valid)."""
    return bool(secret) and hmac.compare_digest(sign(customer_id, secret), signature.strip().lower())


def checked_identity(metadata: Optional[Dict[str, Any]], secret: str) -> Dict[str, Any]:
    """The message's metadata with `customer_id` kept only when its signature is valid (then `customer_verified`
    is true); a claimed id without a valid signature is dropped and the reason put in `identity_refused`. The
    signature itself is never stored."""
    out = {k: v for k, v in (metadata or {}).items() if k not in (SIGNATURE, VERIFIED, REFUSED)}
    claimed = out.pop(CUSTOMER_ID, None)
    if claimed is None or claimed == "":
        return out
    signature = (metadata or {}).get(SIGNATURE)
    if not isinstance(claimed, (str, int)) or isinstance(claimed, bool) or len(str(claimed)) > MAX_ID_CHARS:
        out[REFUSED] = "malformed"
    elif not secret:
        out[REFUSED] = "no_secret"
    elif not isinstance(signature, str) or not signature:
        out[REFUSED] = "unsigned"
    elif not is_valid(str(claimed), signature, secret):
        out[REFUSED] = "forged"
    else:
        out[CUSTOMER_ID] = str(claimed)
        out[VERIFIED] = True
    return out


def verified_customer(metadata: Optional[Dict[str, Any]]) -> Optional[str]:
    """The shop's customer id in metadata a Kefu channel checked, if it was verified."""
    if not isinstance(metadata, dict) or metadata.get(VERIFIED) is not True:
        return None
    value = metadata.get(CUSTOMER_ID)
    return str(value) if isinstance(value, (str, int)) and str(value) else None
