"""bot/diet_batch.py: DIET predicts a batch of messages in one model run with each message's intent and ranking
what a run of its own gives."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import diet_batch

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "rasa" / "kefu.tar.gz"

pytestmark = pytest.mark.skipif(not MODEL.exists(), reason="no trained model: make train")


def held_out_texts() -> list[str]:
    """The held-out NLU messages and the first end-to-end dev questions: both languages, short and long."""
    texts = []
    for item in yaml.safe_load((ROOT / "bench" / "data" / "nlu_test.yml").read_text(encoding="utf-8"))["nlu"]:
        texts += [re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])
                  for line in item["examples"].splitlines() if line.strip().startswith("- ")]
    with open(ROOT / "bench" / "data" / "routing_dev_a.jsonl", encoding="utf-8") as rows:
        texts += [json.loads(row)["query"] for row in rows if row.strip()][:150]
    return texts


@pytest.fixture(scope="module")
def diet_and_features() -> Iterator[tuple[Any, Any]]:
    """The trained DIET component, and a function giving messages as they reach it (tokenised, featurised)."""
    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage
    from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
    from rasa.shared.core.trackers import DialogueStateTracker

    runner = Agent.load(str(MODEL)).processor.graph_runner
    name = next(n for n in runner._graph_schema.nodes if "DIETClassifier" in n)
    before = next(iter(runner._graph_schema.nodes[name].needs.values()))

    def featurised(texts: list[str]) -> list[Any]:
        inputs = {PLACEHOLDER_MESSAGE: [UserMessage(t) for t in texts],
                  PLACEHOLDER_TRACKER: DialogueStateTracker.from_events("t", [])}
        return list(runner.run(inputs=inputs, targets=[before])[before])

    diet_batch.install()
    yield runner._instantiated_nodes[name]._component, featurised


def test_a_batch_gives_each_message_its_own_runs_intent_and_ranking(diet_and_features: tuple[Any, Any]) -> None:
    diet, featurised = diet_and_features
    texts = held_out_texts()
    assert len(texts) > 300
    sizes = [2, 3, 5, 8, 4, 7, 6]  # mixed lengths in every batch: padding must not move any score
    start, checked = 0, 0
    while start < len(texts):
        batch = texts[start:start + sizes[checked % len(sizes)]]
        start += len(batch)
        messages = featurised(batch)
        alone = [diet_batch._original["process"](diet, [copy.deepcopy(m)])[0] for m in messages]
        together = diet.process(messages)
        for one, other, text in zip(alone, together, batch, strict=True):
            assert other.get("intent")["name"] == one.get("intent")["name"], text
            assert other.get("intent")["confidence"] == pytest.approx(one.get("intent")["confidence"], abs=1e-5)
            assert [r["name"] for r in other.get("intent_ranking")] == [r["name"] for r in one.get("intent_ranking")]
            assert [r["confidence"] for r in other.get("intent_ranking")] == pytest.approx(
                [r["confidence"] for r in one.get("intent_ranking")], abs=1e-5)
        checked += 1
    assert checked > 50


def test_one_message_and_an_empty_one_take_rasas_own_way(diet_and_features: tuple[Any, Any]) -> None:
    diet, featurised = diet_and_features
    diet_batch.install()  # a second install keeps the first original
    assert diet_batch._original["process"] is not diet_batch.process_batched
    [one] = diet.process(featurised(["你好"]))
    assert one.get("intent")["name"] == "greet"
    texts = ["how long does shipping take", "谢谢"]
    mixed = diet.process(featurised(["", *texts]))
    alone = [diet.process(featurised([t]))[0] for t in texts]
    assert [m.get("intent")["name"] for m in mixed][1:] == [m.get("intent")["name"] for m in alone]


def test_real_messages_features_joined_in_one_step_are_rasas(diet_and_features: tuple[Any, Any],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # bot/feature_combine.py on what our featurizers give (jieba, regex, lexical, word and character counts).
    from rasa.shared.nlu.training_data.message import Message

    from bot import feature_combine

    _, featurised = diet_and_features
    feature_combine.install()
    messages = featurised(held_out_texts()[::7])
    ours = [m.get_all_features("text") for m in messages]
    monkeypatch.setattr(Message, "_combine_features", staticmethod(feature_combine._original["combine"]))
    for message, joined in zip(messages, ours, strict=True):
        rasas = message.get_all_features("text")
        assert len(joined) == len(rasas) == 2
        for one, other in zip(joined, rasas, strict=True):
            assert one.features.format == other.features.format == "coo"
            assert one.features.shape == other.features.shape and one.origin == other.origin
            assert (one.features.row == other.features.row).all() and (one.features.col == other.features.col).all()
            assert (one.features.data == other.features.data).all()
