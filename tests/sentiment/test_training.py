"""Training mechanics on a tiny set: the delta is small and self-contained, and an interrupted run resumes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from kefu.config import get_settings
from sentiment.data import NEG, NEU, POS, Example, Splits
from sentiment.train import DELTA_META, HEAD_FILE, TrainConfig, train

TEXTS = [("太差了", NEG), ("很好，谢谢", POS), ("退款多久到账", NEU), ("awful service", NEG), ("love it", POS),
         ("where is my parcel", NEU), ("垃圾", NEG), ("good job", POS), ("怎么改地址", NEU), ("terrible", NEG),
         ("太棒了", POS), ("what are your hours", NEU)]


@pytest.mark.slow
def test_an_interrupted_run_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    settings = get_settings()
    examples = [Example(t, label, "test") for t, label in TEXTS]
    splits = Splits(train=examples, dev=examples[:6], test={})
    cfg = TrainConfig(epochs=1, batch_size=4, checkpoint_every=1, top_layers=1, lora_rank=2)
    base, delta, work = settings.path(settings.kb_base_model), tmp_path / "delta", tmp_path / "work"

    first = train(splits, base, delta, work, cfg)
    assert first["steps"] == 3 and first["resumed_from"] == 0
    assert {p.name for p in delta.iterdir()} >= {DELTA_META, HEAD_FILE, "adapter_model.safetensors"}
    assert sum(p.stat().st_size for p in delta.iterdir()) < 5_000_000  # the delta, not a copy of the model

    # Pretend the run died after its first step: the next run starts from there, not from zero.
    checkpoint = torch.load(work / "checkpoint.pt", weights_only=False)
    checkpoint["step"] = 1
    torch.save(checkpoint, work / "checkpoint.pt")
    second = train(splits, base, delta, work, cfg)
    assert second["resumed_from"] == 1 and second["steps"] == 3
