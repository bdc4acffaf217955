"""What every command-line tool of Kefu prints: a short summary for people, or JSON for scripts (--json)."""

from __future__ import annotations

import json
from typing import Any


def emit(data: Any, as_json: bool, human: str) -> None:
    """Print the result as indented JSON (--json) or as the one-line human summary."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else human)
