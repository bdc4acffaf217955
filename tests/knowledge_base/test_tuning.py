"""Tuning the embedder on the KB's own variants: a delta and the stamped model rebuilt from it, used as tuned."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kefu.config import Settings, get_settings
from knowledge_base import service
from knowledge_base.delta import is_built_from, read_meta
from knowledge_base.embedder import Embedder
from knowledge_base.errors import EmptyKnowledgeBaseError
from knowledge_base.io import EntryData
from knowledge_base.store import KnowledgeStore
from knowledge_base.tuning import kb_fingerprint, tune, tuned_report
from tests.knowledge_base.conftest import ENTRIES

BASE = get_settings().path(get_settings().kb_base_model)


@pytest.fixture
def store(settings: Settings) -> KnowledgeStore:
    kb = service.store(settings)
    kb.import_entries([EntryData.from_snapshot(e.snapshot()) for e in ENTRIES], author="test")
    return kb


def test_tune_saves_a_delta_and_the_stamped_model_rebuilt_from_it(store: KnowledgeStore, tmp_path: Path) -> None:
    out, delta = tmp_path / "kb-tuned", tmp_path / "kb-delta"
    report = tune(store, BASE, out, delta, steps=3, batch_size=4, progress=False)

    assert report["entries"] == 4 and report["variants"] == 13 and report["steps"] == 3
    stamp = tuned_report(out)
    assert stamp is not None and stamp["kb_fingerprint"] == report["kb_fingerprint"] == kb_fingerprint(store)
    assert is_built_from(out, delta) and not (tmp_path / "kb-tuned.full").exists()
    # The rebuilt model is the full fine-tune's to cosine 0.999, and the delta is a small part of the model.
    assert report["fidelity"]["min_cosine"] >= 0.999 and report["fidelity"]["texts"] == 13
    assert report["delta_bytes"] < 0.05 * (BASE / "model.safetensors").stat().st_size
    meta = read_meta(delta)
    assert meta is not None and meta["fidelity"] == report["fidelity"]
    assert len(meta["tuning"]["questions"].split()) == 13
    tuned, base = Embedder(str(out), onnx_queries=False), Embedder(str(BASE), onnx_queries=False)
    assert tuned.prefix("query") == "query: "
    assert tuned.fingerprint != base.fingerprint
    questions = ["who pays return shipping", "退货运费谁出", "增值税专用发票要什么资料"]
    before, after = base.encode(questions), tuned.encode(questions)
    assert not np.allclose(before, after, atol=1e-4)
    # Three steps move the weights without breaking them: the zh variant of the same entry stays the nearest.
    assert float(after[0] @ after[1]) > float(after[0] @ after[2])


def test_tune_declares_e5_prefixes_that_the_base_left_unsaid(store: KnowledgeStore, tmp_path: Path) -> None:
    # A downloaded e5 folder without declared prompts: the same files, its config_sentence_transformers.json bare.
    base = tmp_path / "multilingual-e5-download"
    base.mkdir()
    for item in BASE.iterdir():
        if item.name != "config_sentence_transformers.json":
            (base / item.name).symlink_to(item)
    (base / "config_sentence_transformers.json").write_text(json.dumps({"prompts": {}}))
    assert Embedder(str(base), onnx_queries=False).prefix("query") == "query: "  # recognised by its name

    out = tmp_path / "kb-tuned"
    tune(store, base, out, tmp_path / "kb-delta", steps=1, batch_size=4, progress=False)

    declared = json.loads((out / "config_sentence_transformers.json").read_text())["prompts"]
    assert (declared["query"], declared["passage"]) == ("query: ", "passage: ")
    assert Embedder(str(out), onnx_queries=False).prefix("passage") == "passage: "


def test_tune_refuses_a_kb_with_too_few_entries(settings: Settings, tmp_path: Path) -> None:
    kb = service.store(settings)
    kb.import_entries([EntryData.from_snapshot(e.snapshot()) for e in ENTRIES[:2]], author="test")

    with pytest.raises(EmptyKnowledgeBaseError, match="at least 4 published entries"):
        tune(kb, BASE, tmp_path / "kb-tuned", tmp_path / "kb-delta", steps=1, progress=False)
    assert not (tmp_path / "kb-tuned").exists() and not (tmp_path / "kb-delta").exists()
