"""The CLI as ops staff use it, pointed at a temporary store and index through KB_DATABASE_URL and KB_INDEX_DIR."""

import io as stdio
import json
from pathlib import Path

import pytest

from kefu.config import get_settings
from knowledge_base.__main__ import main
from tests.knowledge_base.conftest import MODEL

FAQ = [
    {"id": "ship-fee", "category": "shipping", "lang": "zh", "question": "运费多少钱",
     "answer": "满99元包邮，否则8元。"},
    {"id": "ship-fee", "category": "shipping", "lang": "zh", "question": "邮费怎么算", "answer": ""},
    {"id": "ship-fee", "category": "shipping", "lang": "en", "question": "how much is shipping",
     "answer": "Free over ¥99."},
    {"id": "pay-ways", "category": "payment", "lang": "en", "question": "which payment methods do you accept",
     "answer": "Alipay, WeChat Pay, cards and PayPal."},
    {"id": "pay-ways", "category": "payment", "lang": "en", "question": "can I pay with PayPal", "answer": ""},
]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{tmp_path}/kb.db")
    monkeypatch.setenv("KB_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("KB_EMBEDDING_MODEL", str(MODEL))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def faq_file(tmp_path: Path, rows=FAQ) -> Path:
    path = tmp_path / "faq.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_import_search_export_stats(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(faq_file(cli_env)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 2 and report["vectors"] == 5

    assert main(["search", "怎么付款，能用PayPal吗", "--json", "--top-k", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["query"] == "怎么付款，能用PayPal吗"
    assert result["decision"] in ("answer", "clarify", "unresolved")
    assert result["results"][0]["faq_id"] == "pay-ways"
    assert set(result["results"][0]) >= {"faq_id", "question", "answer", "score"}

    assert main(["export", str(cli_env / "out.csv")]) == 0
    assert main(["import", str(cli_env / "out.csv"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 2

    assert main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entries"] == 2 and stats["variants_by_lang"] == {"zh": 2, "en": 3}


def test_search_jsonl_reads_stdin_and_writes_one_object_per_line(cli_env, capsys, monkeypatch) -> None:
    main(["import", str(faq_file(cli_env)), "--json"])
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", stdio.StringIO("how much is delivery\n\n邮费多少\n"))
    assert main(["search", "--jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["how much is delivery", "邮费多少"]
    assert all(line["results"][0]["faq_id"] == "ship-fee" for line in lines)


def test_bad_file_is_rejected_whole_with_line_numbers(cli_env, capsys) -> None:
    rows = [*FAQ, {"id": "x", "lang": "de", "question": "Wie?", "answer": "So."}]
    assert main(["import", str(faq_file(cli_env, rows))]) == 1
    err = capsys.readouterr().err
    assert "line 6: `lang` must be one of zh, en" in err and "nothing imported" in err
    assert main(["stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["entries"] == 0


def test_empty_kb_and_missing_index_are_clear_errors(cli_env, capsys) -> None:
    assert main(["build-index"]) == 1
    assert "no published entries" in capsys.readouterr().err
    assert main(["search", "hello"]) == 1
    assert "build-index" in capsys.readouterr().err


def test_review_resolve_from_the_command_line(cli_env, capsys) -> None:
    from knowledge_base import service

    main(["import", str(faq_file(cli_env)), "--json"])
    queue = service.review_queue(get_settings())
    _, cluster = queue.record(text="你们有实体店吗", kind="unresolved", lang="zh", conversation_id="c1",
                              channel="rest", candidates=[])
    capsys.readouterr()
    assert main(["review", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["examples"] == ["你们有实体店吗"]
    assert main(["review", "show", str(cluster)]) == 0
    assert "你们有实体店吗" in capsys.readouterr().out
    assert main(["review", "resolve", str(cluster), "--new-entry", "stores", "--category", "general",
                 "--answer-zh", "我们只在线上销售。"]) == 0
    assert "resolved into stores" in capsys.readouterr().out
    assert main(["search", "你们有实体店吗", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["faq_id"] == "stores"
