"""What an order number looks like, for the order form (actions/) and the desk's `{order_id}` alike."""

from __future__ import annotations

import re
import unicodedata

# Same pattern as the `order_number` regex in training_data/nlu/orders.yml (tests/actions check they agree).
ORDER_NUMBER = re.compile(r"(?<![A-Za-z0-9])(?:[Kk][Ff])?\d{10,16}(?![0-9])")


def find_order_number(text: str | None) -> str | None:
    """The first order number in free text, normalised (full-width digits, upper-case KF), or None."""
    if not text:
        return None
    match = ORDER_NUMBER.search(unicodedata.normalize("NFKC", text))
    return match.group(0).upper() if match else None
