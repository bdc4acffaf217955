"""`python -m bot.server run …`: Rasa's own `rasa` command, with Kefu's changes to how it spends CPU per message.

`make run` starts Rasa through this module instead of the `rasa` script. Each change below replaces one piece of
Rasa 3.6 that costs every customer message more than it needs, keeping its behaviour; each is measured in
README.md ("Load"), and tests/bot/test_server.py checks that it still behaves as Rasa's own does.

- Action-server responses are checked against the response schema with one validator built at start-up. Rasa
  calls `jsonschema.validate` per response, which first checks the schema itself against the JSON-Schema
  meta-schema and builds a new validator: 28% of Rasa's CPU under load, for a schema that never changes.
- Stored events find their class through a table built once. Rasa's `Event.resolve_by_type` walks every
  subclass of Event (and asks `inspect.isabstract` of each) for every event of every tracker it loads: 11% of
  Rasa's CPU under load.
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Dict, Optional, Type


@functools.cache
def action_response_validator() -> Any:
    """One validator for Rasa's action-response schema, its schema checked once."""
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once (same errors, same message)."""
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        # What jsonschema.validate raises: the best-matching error, not merely the first.
        error = best_match(action_response_validator().iter_errors(result))
        if error is not None:
            raise error
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise e


_event_types: Dict[str, Any] = {}


def resolve_event_type(type_name: str, default: Optional[Type[Any]] = None) -> Optional[Type[Any]]:
    """Event.resolve_by_type through a table of the event classes; an unknown name asks Rasa's own (slow) walk,
    which also knows classes imported since the table was built."""
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    if not _event_types:
        for cls in all_subclasses(Event):
            _event_types.setdefault(cls.type_name, cls)  # the walk's first match wins, as in Rasa's loop
    found: Optional[Type[Any]] = _event_types.get(type_name)
    if found is not None:
        return found
    return _original["resolve_by_type"](type_name, default)  # type: ignore[no-any-return]


_original: Dict[str, Any] = {}


def tune_rasa() -> None:
    """Install Kefu's per-message savings into Rasa (idempotent)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.events import Event

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    _original.setdefault("resolve_by_type", Event.resolve_by_type)
    Event.resolve_by_type = staticmethod(resolve_event_type)  # type: ignore[method-assign,assignment]


def main() -> None:
    """Run the `rasa` command line (arguments as for `rasa`) with the savings installed."""
    tune_rasa()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
