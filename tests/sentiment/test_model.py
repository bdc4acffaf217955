"""The built sentiment model: ONNX agrees with torch (base + delta), the CLI's JSON lines, and clean data splits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from kefu.config import ROOT, get_settings
from sentiment.build import FP32_FILE, load_classifier
from sentiment.data import CS_EVAL, build_splits, is_test, normalise
from sentiment.inference import SentimentModel

TEXTS = [
    "谢谢，问题解决了！", "你们这什么垃圾服务", "请问退款多久到账？", "the parcel arrived broken, so disappointed",
    "can I change my delivery address", "super fast delivery, love it", "訂單怎麼還沒到", "refund 到底什么时候到啊",
]


@pytest.fixture(scope="module")
def settings():  # type: ignore[no-untyped-def]
    return get_settings()


def test_onnx_and_torch_agree(settings) -> None:  # type: ignore[no-untyped-def]
    classifier, tokenizer = load_classifier(settings.path(settings.kb_base_model),
                                            settings.path(settings.sentiment_delta_dir))
    batch = tokenizer(["query: " + t for t in TEXTS], padding=True, return_tensors="pt")
    with torch.inference_mode():
        expected = classifier(batch["input_ids"], batch["attention_mask"]).numpy()
    folder = settings.path(settings.sentiment_model_dir)
    fp32 = SentimentModel(folder)
    fp32.session = type(fp32.session)(str(folder / FP32_FILE), providers=["CPUExecutionProvider"])
    got = np.concatenate([fp32.logits([t]) for t in TEXTS])
    assert np.abs(got - expected).max() < 1e-3
    # The model actually served (int8 when it agreed with fp32 at build time) picks the same labels here.
    served = SentimentModel(folder)
    assert (served.logits(TEXTS).argmax(1) == expected.argmax(1)).mean() >= 0.85


def test_predict_jsonl_prints_one_object_per_line() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sentiment", "predict", "--jsonl"],
        input="谢谢你们！\n\nthis is a scam, I'm calling my lawyer!!!\n",
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
    ).stdout.splitlines()
    rows = [json.loads(line) for line in out]
    assert [r["text"] for r in rows] == ["谢谢你们！", "this is a scam, I'm calling my lawyer!!!"]
    assert set(rows[0]) == {"text", "label", "score", "probs", "frustration"}
    assert set(rows[0]["probs"]) == {"negative", "neutral", "positive"}
    assert rows[0]["label"] == "positive" and rows[0]["frustration"] < 0.5
    assert rows[1]["frustration"] >= 0.5


def test_held_out_and_evaluation_texts_never_reach_training(settings) -> None:  # type: ignore[no-untyped-def]
    splits = build_splits(settings.path(settings.shared_data_dir), scale=0.05)
    train = {normalise(ex.text) for ex in splits.train}
    assert not any(is_test(text) for text in train)
    for examples in splits.test.values():
        assert examples and not train & {normalise(ex.text) for ex in examples}
    cs = {normalise(json.loads(line)["text"]) for line in CS_EVAL.read_text(encoding="utf-8").splitlines() if line}
    assert len(cs) >= 200 and not train & cs


def test_the_int8_check_is_reused_only_for_the_delta_it_was_made_for(tmp_path: Path) -> None:
    import shutil

    from kefu import onnx_int8
    from sentiment.build import CHECK_FILE, delta_digest, record_check, recorded_check

    delta = tmp_path / "delta"
    shutil.copytree("sentiment/delta", delta)
    before = delta_digest(delta)
    record_check(delta, 0.95, 500)
    # The record is derived from the delta, so writing it does not make the delta look changed.
    assert delta_digest(delta) == before
    assert recorded_check(delta) == {"delta_digest": before, "recipe": onnx_int8.RECIPE, "int8_agreement": 0.95,
                                     "texts": 500, "min_agreement": 0.98, "keep_int8": False}
    # A check made under another quantisation recipe says nothing about this one's graph.
    check = json.loads((delta / CHECK_FILE).read_text(encoding="utf-8"))
    (delta / CHECK_FILE).write_text(json.dumps({**check, "recipe": "all-matmuls-per-tensor"}), encoding="utf-8")
    assert recorded_check(delta) is None
    record_check(delta, 0.95, 500)
    (delta / "head.safetensors").write_bytes(b"retrained")
    assert recorded_check(delta) is None
    (delta / CHECK_FILE).write_text("{broken", encoding="utf-8")
    assert recorded_check(delta) is None


def test_the_shipped_delta_carries_its_int8_check() -> None:
    from sentiment.build import recorded_check

    assert recorded_check(Path("sentiment/delta")) is not None


def test_a_repeated_text_is_not_scored_again_and_callers_cannot_change_the_kept_one(settings) -> None:  # type: ignore[no-untyped-def]
    model = SentimentModel(settings.path(settings.sentiment_model_dir))
    calls: list[list[str]] = []
    logits = model.logits

    def counting(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        return logits(texts)

    model.logits = counting  # type: ignore[method-assign]
    first = model.predict_one("你们这什么垃圾服务")
    first.as_dict()["probabilities"]["negative"] = -1.0
    again = model.predict_one("你们这什么垃圾服务")
    assert calls == [["你们这什么垃圾服务"]]
    assert again == first and again.label == "negative" and again.probs["negative"] > 0
