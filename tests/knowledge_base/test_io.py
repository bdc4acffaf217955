import json
from pathlib import Path

import pytest

from knowledge_base import io
from knowledge_base.errors import ImportFileError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_sharing_an_id_form_one_entry_with_answers_per_language(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a-1",
            "category": "returns",
            "lang": "zh",
            "question": "怎么退货",
            "answer": "在我的订单里申请。",
        },
        {"id": "a-1", "category": "returns", "lang": "zh", "question": "退货流程", "answer": ""},
        {
            "id": "a-1",
            "category": "returns",
            "lang": "en",
            "question": "how to return",
            "answer": "Apply in My Orders.",
        },
        {"id": "b-2", "category": "shipping", "lang": "en", "question": "shipping cost", "answer": "¥8."},
    ]
    path = write(tmp_path, "faq.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    entries = {e.id: e for e in io.read_file(path)}
    assert entries["a-1"].variants == {"zh": ["怎么退货", "退货流程"], "en": ["how to return"]}
    assert entries["a-1"].answers == {"zh": "在我的订单里申请。", "en": "Apply in My Orders."}
    assert entries["b-2"].category == "shipping"


def test_bad_rows_reject_the_whole_file_with_line_numbers(tmp_path: Path) -> None:
    text = (
        '{"id": "ok-1", "lang": "zh", "question": "好问题", "answer": "好答案"}\n'
        '{"id": "bad id!", "lang": "zh", "question": "q", "answer": "a"}\n'
        '{"id": "x-1", "lang": "fr", "question": "q", "answer": "a"}\n'
        "{not json}\n"
    )
    with pytest.raises(ImportFileError) as info:
        io.read_file(write(tmp_path, "bad.jsonl", text))
    assert info.value.problems == [
        "line 4: not valid JSON (Expecting property name enclosed in double quotes)"
    ]
    text = text.replace("{not json}\n", "")
    with pytest.raises(ImportFileError) as info:
        io.read_file(write(tmp_path, "bad.jsonl", text))
    problems = info.value.problems
    assert problems[0].startswith("line 2: `id` must be")
    assert problems[1].startswith("line 3: `lang` must be one of zh, en")


def test_conflicting_answers_and_entries_without_answers_are_errors(tmp_path: Path) -> None:
    text = "id,category,lang,question,answer\nq-1,c,zh,问一,答一\nq-1,c,zh,问二,答二\nq-2,c,en,no answer,\n"
    with pytest.raises(ImportFileError) as info:
        io.read_file(write(tmp_path, "conflict.csv", text))
    assert "line 3: a different zh answer for q-1 was given on line 2" in info.value.problems
    assert "entry q-2: no answer in any language" in info.value.problems


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("broken.yaml", "- id: a\n  lang: [zh\n", "not valid YAML"),
        ("nohead.csv", "foo,bar\n1,2\n", "header lacks column(s) id, lang, question"),
        ("scalar.yaml", "just a string\n", "expected a list of rows"),
        ("data.txt", "x", "unknown format 'txt'"),
    ],
)
def test_broken_files_give_clear_errors(tmp_path: Path, name: str, text: str, expected: str) -> None:
    with pytest.raises(ImportFileError) as info:
        io.read_file(write(tmp_path, name, text))
    assert expected in str(info.value)


def test_not_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,lang,question,answer\nx,zh,caf\xe9,a\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match="not UTF-8"):
        io.read_file(path)
    with pytest.raises(ImportFileError, match="file not found"):
        io.read_file(tmp_path / "nope.jsonl")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "yaml", "xlsx"])
def test_export_round_trips(tmp_path: Path, fmt: str) -> None:
    entries = [
        io.EntryData(
            "r-1",
            "returns",
            answers={"zh": "答", "en": 'Answer, with "quotes"\nand a newline'},
            variants={"zh": ["问一", "问二"], "en": ["q one"]},
        ),
        io.EntryData(
            "r-2",
            "returns",
            answers={"zh": "只有中文", "en": "English answer, no English question"},
            variants={"zh": ["中文问题"]},
        ),
    ]
    path = tmp_path / f"out.{fmt}"
    path.write_bytes(io.write_bytes(io.to_rows(entries), fmt))
    back = io.read_file(path)
    assert [e.snapshot() for e in back] == [e.snapshot() for e in entries]


def test_xlsx_bad_rows_are_named_by_row_number(tmp_path: Path) -> None:
    rows = [{"id": "ok-1", "category": "c", "lang": "zh", "question": "问", "answer": "答", "status": ""},
            {"id": "bad id", "category": "c", "lang": "de", "question": "q", "answer": "a", "status": ""}]
    path = tmp_path / "faq.xlsx"
    path.write_bytes(io.write_xlsx(rows))
    with pytest.raises(ImportFileError) as caught:
        io.read_file(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith("line 3:") and "`lang`" in caught.value.problems[0]
    (tmp_path / "broken.xlsx").write_bytes(b"PK not really")
    with pytest.raises(ImportFileError, match="not a readable XLSX"):
        io.read_file(tmp_path / "broken.xlsx")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "yaml", "xlsx"])
def test_answers_per_customer_tier_are_imported_and_exported(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, "tiers.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "pickup", "category": "returns", "lang": "zh", "question": "退货怎么寄回",
         "answer": "自行寄回，运费¥10。"},
        {"id": "pickup", "lang": "zh", "question": "", "answer": "金卡会员免费上门取件。", "tier": "金卡"},
        {"id": "pickup", "lang": "en", "question": "how do I send a return", "answer": "Free pick-up.",
         "tier": "金卡"},
    ]))
    [entry] = io.read_file(path)
    assert entry.answers == {"zh": "自行寄回，运费¥10。"}  # the tier's rows leave the entry's answer alone
    assert entry.tier_answers == {"金卡": {"zh": "金卡会员免费上门取件。", "en": "Free pick-up."}}
    assert entry.variants == {"zh": ["退货怎么寄回"], "en": ["how do I send a return"]}
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(io.write_bytes(io.to_rows([entry]), fmt))
    assert [e.snapshot() for e in io.read_file(out)] == [entry.snapshot()]
    assert io.EntryData.from_snapshot(entry.snapshot()).tier_answers == entry.tier_answers


def test_a_tier_row_without_an_answer_or_with_a_long_name_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "a", "lang": "zh", "question": "问", "answer": "答"},
        {"id": "a", "lang": "zh", "question": "问二", "tier": "金卡"},
        {"id": "a", "lang": "zh", "answer": "x", "tier": "t" * 40},
    ]))
    with pytest.raises(ImportFileError) as info:
        io.read_file(path)
    assert "line 2: a `tier` row needs the tier's `answer`" in str(info.value)
    assert "line 3: `tier` is longer than 32 characters" in str(info.value)
