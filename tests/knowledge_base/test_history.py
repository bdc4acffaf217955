"""Readable revision diffs."""

from knowledge_base.history import changes, text_diff


def test_text_diff_keeps_words_whole_and_splits_chinese_by_character() -> None:
    assert text_diff("Refunds take 3 days.", "Refunds take 5 working days.") == [
        {"op": "equal", "text": "Refunds take "}, {"op": "delete", "text": "3"},
        {"op": "insert", "text": "5 working"}, {"op": "equal", "text": " days."}]
    assert text_diff("三天内发货", "两天内发货") == [
        {"op": "delete", "text": "三"}, {"op": "insert", "text": "两"}, {"op": "equal", "text": "天内发货"}]


def test_changes_lists_each_field_and_language_once() -> None:
    before = {"id": "a", "category": "orders", "status": "draft", "answers": {"zh": "旧", "en": "old"},
              "variants": {"zh": ["问一", "问二"], "en": ["q"]}}
    after = {"id": "a", "category": "shipping", "status": "published", "answers": {"zh": "新", "en": "old"},
             "variants": {"zh": ["问一", "问三"], "en": ["q"]}}
    assert changes(None, after) == [{"field": "created", "text": "created in shipping as published"}]
    assert changes(before, after) == [
        {"field": "category", "before": "orders", "after": "shipping"},
        {"field": "status", "before": "draft", "after": "published"},
        {"field": "answer", "lang": "zh", "segments": [{"op": "delete", "text": "旧"}, {"op": "insert", "text": "新"}]},
        {"field": "questions", "lang": "zh", "added": ["问三"], "removed": ["问二"]},
    ]
    assert changes(after, after) == []
