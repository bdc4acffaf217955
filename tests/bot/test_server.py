"""bot/server.py: Rasa's action-response check with the validator built once accepts and refuses exactly what
Rasa's own `jsonschema.validate` does, with the same message."""

from __future__ import annotations

from typing import Any, Dict

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import server

GOOD: Dict[str, Any] = {"events": [{"event": "slot", "name": "language", "value": "zh"}],
                        "responses": [{"text": "您好"}]}
BAD = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list"},
    {"responses": ["not an object"]},
]


def remote_action() -> RemoteAction:
    return RemoteAction("action_answer_faq", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_tuned_rasa_uses_one_validator_and_accepts_a_good_response() -> None:
    server.tune_rasa()
    action = remote_action()
    assert action._validate_action_result(GOOD) is True
    assert server.action_response_validator() is server.action_response_validator()


@pytest.mark.parametrize("response", BAD)
def test_a_bad_response_fails_as_with_rasas_own_check(response: Dict[str, Any]) -> None:
    with pytest.raises(jsonschema.ValidationError) as rasas:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    server.tune_rasa()
    with pytest.raises(jsonschema.ValidationError) as ours:
        remote_action()._validate_action_result(response)
    assert ours.value.message.startswith(rasas.value.message)
    assert "Failed to validate Action server response" in ours.value.message


def test_events_resolve_to_the_same_classes_as_rasas_walk() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered

    server.tune_rasa()
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None  # Rasa's backwards compatibility
    assert Event.resolve_by_type("nonsense", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("nonsense")
    restored = Event.from_parameters({"event": "slot", "name": "language", "value": "en"})
    assert restored == SlotSet("language", "en")
