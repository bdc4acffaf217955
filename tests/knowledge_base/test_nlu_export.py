"""ask_question examples for Rasa drawn from the KB."""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge_base.io import EntryData
from knowledge_base.nlu_export import existing_examples, nlu_yaml


def test_export_takes_the_first_variants_skips_dialogue_entries_and_examples_of_other_intents(
    tmp_path: Path,
) -> None:
    entries = [
        EntryData("returns-fee", "returns", answers={"zh": "答"},
                  variants={"zh": ["退货运费谁出", "退货要付邮费吗", "第三个"], "en": ["who pays return  postage"]}),
        EntryData("orders-001", "orders", answers={"zh": "答"}, variants={"zh": ["订单状态去哪查"]}),
        EntryData("complaint-002", "complaints", answers={"zh": "答"}, variants={"zh": ["我要投诉", "怎么投诉"]}),
    ]
    other = tmp_path / "handoff.yml"
    other.write_text('version: "3.1"\nnlu:\n- intent: complain\n  examples: |\n    - 我要投诉\n', encoding="utf-8")
    data = yaml.safe_load(nlu_yaml(entries, per_lang=2, taken=existing_examples([other])))
    [block] = data["nlu"]
    assert block["intent"] == "ask_question"
    examples = [line[2:] for line in block["examples"].splitlines()]
    assert examples == ["怎么投诉", "退货运费谁出", "退货要付邮费吗", "who pays return postage"]
