"""Which query graph serves: the int8 copy only when its check, for this graph and this recipe, kept it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kefu import onnx_int8
from knowledge_base.onnx_query import INT8_CHECK, INT8_FILE, ONNX_FILE, check_texts, int8_check, query_graph


def exported(folder: Path, keep: bool, recipe: str = onnx_int8.RECIPE) -> Path:
    """A folder as an export leaves it: the fp32 graph, the int8 copy and the check (files' contents are not read)."""
    (folder / "onnx").mkdir(parents=True)
    (folder / ONNX_FILE).write_bytes(b"fp32")
    (folder / INT8_FILE).write_bytes(b"int8")
    (folder / INT8_CHECK).write_text(json.dumps({"recipe": recipe, "keep_int8": keep}), encoding="utf-8")
    return folder


def test_the_int8_copy_serves_when_asked_for_and_its_check_kept_it(tmp_path: Path) -> None:
    folder = exported(tmp_path, keep=True)
    assert query_graph(folder, int8=True) == folder / INT8_FILE
    # Off by default (Settings.kb_query_int8): the KB's cut-offs are fitted on fp32 scores.
    assert query_graph(folder) == folder / ONNX_FILE


def test_fp32_serves_when_the_check_refused_int8(tmp_path: Path) -> None:
    folder = exported(tmp_path, keep=False)
    assert query_graph(folder, int8=True) == folder / ONNX_FILE


def test_a_check_from_another_recipe_or_an_older_graph_does_not_count(tmp_path: Path) -> None:
    old_recipe = exported(tmp_path / "a", keep=True, recipe="all-matmuls-per-tensor")
    assert int8_check(old_recipe) is None and query_graph(old_recipe, int8=True) == old_recipe / ONNX_FILE
    # The fp32 graph re-exported after the check was made: the int8 copy is of the graph before.
    newer_graph = exported(tmp_path / "b", keep=True)
    checked = (newer_graph / INT8_CHECK).stat().st_mtime
    os.utime(newer_graph / ONNX_FILE, (checked + 5, checked + 5))
    assert int8_check(newer_graph) is None and query_graph(newer_graph, int8=True) == newer_graph / ONNX_FILE
    missing = tmp_path / "c"
    missing.mkdir()
    assert query_graph(missing, int8=True) == missing / ONNX_FILE


def test_the_check_texts_cover_both_languages() -> None:
    texts = check_texts()
    assert len(texts) >= 500
    chinese = [t for t in texts if any("\u4e00" <= ch <= "\u9fff" for ch in t)]
    assert len(chinese) >= 200 and len(texts) - len(chinese) >= 200


def test_a_graph_the_quantiser_cannot_take_is_recorded_and_served_in_fp32(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from knowledge_base.onnx_query import quantize_checked

    def cannot(src: Path, dst: Path) -> list[str]:
        dst.write_bytes(b"half-written")
        raise ValueError("no feed-forward output projections found")

    monkeypatch.setattr(onnx_int8, "quantize", cannot)
    (tmp_path / "onnx").mkdir()
    (tmp_path / ONNX_FILE).write_bytes(b"fp32")
    check = quantize_checked(tmp_path, tokenizer=None, prefix="query: ")
    assert check["keep_int8"] is False and "feed-forward" in check["error"]
    assert int8_check(tmp_path) == check and not (tmp_path / INT8_FILE).exists()
    assert query_graph(tmp_path, int8=True) == tmp_path / ONNX_FILE
