"""The tuned embedder as a delta on the base: the shipped one rebuilds the model, a damaged one is refused, drift."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kefu.config import Settings, get_settings
from knowledge_base import delta as deltas
from knowledge_base import service
from knowledge_base.embedder import Embedder
from knowledge_base.errors import ModelSetupError
from knowledge_base.io import EntryData
from tests.knowledge_base.conftest import ENTRIES

SETTINGS = get_settings()
BASE = SETTINGS.path(SETTINGS.kb_base_model)
SHIPPED = SETTINGS.path(SETTINGS.kb_shipped_delta)


def test_three_bit_blocks_round_trip_within_half_a_step() -> None:
    rng = np.random.default_rng(0)
    change = rng.normal(0, 1e-3, size=(8, 64)).astype(np.float32)
    change[0, :32] = 0  # a block that did not move stays exactly zero
    packed, scale = deltas.quantise(change)

    assert packed.dtype == np.uint8 and packed.size == change.size // 2 and scale.size == change.size // 32
    back = deltas.dequantise(packed, scale, change.shape)
    step = np.repeat(scale.astype(np.float32), 32).reshape(change.shape)
    assert np.all(np.abs(back - change) <= step / 2 + 1e-9)
    assert np.all(back[0, :32] == 0)


def test_the_shipped_delta_rebuilds_the_tuned_model(tmp_path: Path) -> None:
    meta = deltas.read_meta(SHIPPED)
    assert meta is not None, "knowledge_base/delta is incomplete"
    # Checked when it was made: every demo question's vector within cosine 0.999 of the fully tuned model's.
    assert meta["fidelity"]["min_cosine"] >= deltas.MIN_COSINE
    assert meta["fidelity"]["texts"] == meta["tuning"]["variants"]
    assert (SHIPPED / deltas.DELTA_FILE).stat().st_size < 10_000_000

    out = tmp_path / "kb-tuned"
    stamp = deltas.apply(BASE, SHIPPED, out)

    assert deltas.is_built_from(out, SHIPPED) and not deltas.is_built_from(BASE, SHIPPED)
    assert stamp["kb_fingerprint"] == meta["tuning"]["kb_fingerprint"] and "questions" not in stamp
    assert json.loads((out / "config_sentence_transformers.json").read_text())["prompts"]["query"] == "query: "
    tuned, base = Embedder(str(out), onnx_queries=False), Embedder(str(BASE), onnx_queries=False)
    questions = ["退货运费谁出", "who pays for return shipping", "增值税专用发票要什么资料"]
    after, before = tuned.encode(questions), base.encode(questions)
    assert not np.allclose(after, before, atol=1e-3)
    # Tuning pulled the two languages of one question together, past an unrelated question in the same language.
    assert float(after[0] @ after[1]) > float(after[0] @ after[2])
    assert float(after[0] @ after[1]) - float(after[0] @ after[2]) > float(before[0] @ before[1]) - float(
        before[0] @ before[2])


def test_a_damaged_delta_is_refused_and_the_model_in_place_kept(tmp_path: Path) -> None:
    broken = tmp_path / "delta"
    shutil.copytree(SHIPPED, broken)
    data = bytearray((broken / deltas.DELTA_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (broken / deltas.DELTA_FILE).write_bytes(bytes(data))
    out = tmp_path / "kb-tuned"
    out.mkdir()
    (out / "kefu_tuning.json").write_text("{}")

    with pytest.raises(ModelSetupError, match="damaged"):
        deltas.apply(BASE, broken, out)
    assert (out / "kefu_tuning.json").read_text() == "{}"

    (broken / deltas.DELTA_FILE).unlink()
    assert deltas.read_meta(broken) is None
    with pytest.raises(ModelSetupError, match="no complete embedder delta"):
        deltas.apply(BASE, broken, out)


def test_drift_counts_the_questions_new_since_tuning(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, kb_database_url=f"sqlite:///{tmp_path}/kb.db", kb_embedding_model="auto",
                        kb_shipped_delta=tmp_path / "shipped", kb_retune_share=0.3)
    store = service.store(settings)
    store.import_entries([EntryData.from_snapshot(e.snapshot()) for e in ENTRIES], author="test")
    published = [(lang, q) for _, lang, q in store.published_variants()]
    assert service.tuning_drift(settings) is None  # no delta at all: nothing to compare with

    (tmp_path / "shipped").mkdir()
    (tmp_path / "shipped" / deltas.DELTA_FILE).write_bytes(b"")
    tuned_on = " ".join(deltas.question_key(lang, q) for lang, q in [*published[:10], ("en", "a retired question")])
    deltas.write_meta(tmp_path / "shipped", {"tuning": {"questions": tuned_on}})
    drift = service.tuning_drift(settings)

    assert drift is not None and drift["delta"] == "shipped"
    assert (drift["published_questions"], drift["new_since_tuning"], drift["gone_since_tuning"]) == (13, 3, 1)
    assert drift["new_share"] == round(3 / 13, 3) and drift["retune"] is False

    # A shop's own delta wins over the shipped one; this one was tuned on none of today's questions.
    local = settings.kb_tune_delta_path
    local.mkdir()
    (local / deltas.DELTA_FILE).write_bytes(b"")
    deltas.write_meta(local, {"tuning": {"questions": ""}})
    drift = service.tuning_drift(settings)
    assert drift is not None and drift["delta"] == "local" and drift["new_share"] == 1.0 and drift["retune"] is True


def test_bootstrap_rebuilds_from_the_delta_once_then_only_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from knowledge_base.__main__ import main

    for name, value in {"KEFU_DATA_DIR": str(tmp_path), "KB_DATABASE_URL": f"sqlite:///{tmp_path}/kb.db",
                        "KB_EMBEDDING_MODEL": "auto", "KEFU_KB_TUNED_MODEL": str(tmp_path / "kb-tuned")}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    service.clear_embedders()
    try:
        settings = get_settings()
        service.store(settings).import_entries([EntryData.from_snapshot(e.snapshot()) for e in ENTRIES], author="t")

        assert main(["bootstrap"]) == 0
        first = capsys.readouterr().out
        assert "tuned embedder rebuilt from knowledge_base/delta" in first and "index v1: 13 questions" in first
        assert "new since the embedder was tuned" in first  # these four entries are not the demo KB it was tuned on
        weights = (tmp_path / "kb-tuned" / "model.safetensors").stat().st_mtime_ns

        assert main(["bootstrap"]) == 0
        second = capsys.readouterr().out
        assert "rebuilt" not in second and "knowledge base ready: index v1" in second
        assert (tmp_path / "kb-tuned" / "model.safetensors").stat().st_mtime_ns == weights
    finally:
        get_settings.cache_clear()
        service.clear_embedders()
