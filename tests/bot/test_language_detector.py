from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.language_detector import LanguageDetector


def _languages(text: str) -> list[str]:
    message = Message(data={TEXT: text})
    LanguageDetector().process([message])
    return [e["value"] for e in message.get(ENTITIES, []) if e["entity"] == "language"]


def test_tags_chinese_and_english() -> None:
    assert _languages("我要退货") == ["zh"]
    assert _languages("I want to return this") == ["en"]


def test_leaves_undecidable_messages_untagged_so_the_slot_keeps_its_value() -> None:
    assert _languages("2023112300012345") == []
    assert _languages("👍👍") == []


def test_keeps_entities_found_by_other_extractors() -> None:
    message = Message(
        data={TEXT: "查一下 KF20231123018", ENTITIES: [{"entity": "order_number", "value": "x"}]}
    )
    LanguageDetector().process([message])
    assert [e["entity"] for e in message.get(ENTITIES)] == ["order_number", "language"]
