import pytest

from bot.language import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh"),
        ("請問退貨要多久", "zh"),  # traditional characters
        ("我的order怎么还没到", "zh"),  # code-mixed Chinese
        ("可以用PayPal付款吗", "zh"),
        ("查询订单KF20231123018", "zh"),  # the KF prefix is not an English word
        ("hello", "en"),
        ("Where is my package?", "en"),
        ("where is my 订单", "en"),  # English sentence with one Chinese word
        ("I WANT A REFUND NOW!!!", "en"),
        ("don't you have invoices", "en"),
        ("ni hao", "en"),  # pinyin is written in Latin letters: treated as English text
        ("好的ok", "zh"),
    ],
)
def test_detects_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("text", ["", None, "12345678901", "😀😀😀", "!!!???", "KF20231123018", "   "])
def test_undecidable_text_gives_none(text: str | None) -> None:
    assert detect_language(text) is None
