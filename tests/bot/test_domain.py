"""The domain as Rasa loads it: every response speaks both languages, every action it names exists."""

from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


def test_every_response_has_a_zh_and_an_en_variation(domain: Domain) -> None:
    for name, variations in domain.responses.items():
        languages = set()
        for variation in variations:
            for condition in variation.get("condition", []):
                if condition["name"] == "language":
                    languages.add(condition["value"])
        assert languages == {"zh", "en"}, f"{name} has variations for {sorted(languages)}"


def test_buttons_exist_in_both_languages_alike(domain: Domain) -> None:
    for name, variations in domain.responses.items():
        for channel in {v.get("channel") for v in variations}:  # a channel's own variations may differ (WeChat)
            payloads = [sorted(b["payload"] for b in v.get("buttons", [])) for v in variations
                        if v.get("channel") == channel]
            assert all(p == payloads[0] for p in payloads), f"{name}: buttons differ between languages"


def test_language_slot_is_filled_from_the_detector(domain: Domain) -> None:
    slot = next(s for s in domain.slots if s.name == "language")
    assert slot.mappings == [{"type": "from_entity", "entity": "language"}]
    assert slot.initial_value == "zh"
