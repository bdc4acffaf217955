import pytest

from knowledge_base.lexical import LexicalIndex, fuse, text_lang, tokens

VARIANTS = [
    ("cancel-before", "zh", "还没发货的订单怎么取消"),
    ("cancel-before", "zh", "未发货能取消订单吗"),
    ("cancel-before", "en", "How do I cancel an order that has not shipped yet?"),
    ("cancel-after", "zh", "已经发货了还能取消订单吗"),
    ("cancel-after", "zh", "发货后怎么取消"),
    ("cancel-after", "en", "Can I cancel after the order has shipped?"),
    ("fapiao-only-zh", "zh", "怎么开增值税专用发票"),
]
INDEX = LexicalIndex(*(list(column) for column in zip(*VARIANTS, strict=True)))


def test_tokens_split_chinese_into_characters_and_pairs_and_latin_into_words() -> None:
    assert tokens("发货了 App OK!") == ["发", "货", "了", "发货", "货了", "app", "ok"]


def test_question_language_is_the_channels_or_read_from_the_script() -> None:
    assert text_lang("发票", "en") == "en"
    assert text_lang("怎么开发票") == "zh"
    assert text_lang("where is my parcel") == "en"


def test_the_entry_sharing_the_deciding_words_scores_higher() -> None:
    zh = INDEX.scores("东西已经发货了，我不想要了能取消吗", "zh", ["cancel-before", "cancel-after"])
    assert zh[1] > zh[0] > 0
    en = INDEX.scores("it has not shipped yet, cancel it", "en", ["cancel-before", "cancel-after"])
    assert en[0] > en[1]


def test_an_entry_without_the_questions_language_has_no_overlap_score() -> None:
    assert INDEX.scores("special VAT invoice", "en", ["fapiao-only-zh", "unknown-id"]) == [None, None]
    assert INDEX.scores("anything", "fr", ["cancel-before"]) == [None]


def test_fuse_weighs_overlap_and_gives_one_language_entries_the_best_overlap() -> None:
    assert fuse([0.8, 0.7], [0.0, 0.6], 0.5) == pytest.approx([0.8 / 1.5, 1.0 / 1.5])
    # The Chinese-only entry is neither helped past its similarity nor pushed down for its language.
    assert fuse([0.9, 0.8], [None, 0.4], 1.0) == pytest.approx([0.65, 0.6])
    assert fuse([0.9], [None], 1.0) == pytest.approx([0.45])
