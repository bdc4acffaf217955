"""bot/graph_runner.py: the graph run node by node gives what Dask's run gives, for the NLU and the dialogue graph."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.graph_runner import SequentialGraphRunner

MODEL = Path(__file__).resolve().parents[2] / "models" / "rasa" / "kefu.tar.gz"


class Node:
    """A stand-in for rasa's GraphNode: (its name, what it received), and a count of its calls."""

    def __init__(self, name: str) -> None:
        self.name, self.calls = name, 0

    def __call__(self, *received: Any) -> tuple:
        self.calls += 1
        return self.name, [r[1] if isinstance(r, tuple) else f"unresolved:{r}" for r in received]


def fake_runner(needs: dict[str, dict[str, str]], targets: tuple[str, ...] = ()) -> SequentialGraphRunner:
    from rasa.engine.graph import GraphSchema, SchemaNode

    runner = SequentialGraphRunner.__new__(SequentialGraphRunner)
    runner._graph_schema = GraphSchema({
        name: SchemaNode(needs=n, uses=object, constructor_name="c", fn="run", config={}, is_target=name in targets)
        for name, n in needs.items()})
    runner._instantiated_nodes = {name: Node(name) for name in needs}  # type: ignore[misc]
    runner._plans = {}
    return runner


def test_each_node_runs_once_after_what_it_needs_and_the_order_is_worked_out_once() -> None:
    # A diamond: d needs b and c, both need a, which needs the input. Rasa's own walk visits a twice.
    runner = fake_runner({"a": {"x": "__message__"}, "b": {"x": "a"}, "c": {"x": "a"}, "d": {"l": "b", "r": "c"},
                          "unused": {"x": "a"}})
    result = runner.run(inputs={"__message__": "hi"}, targets=["d"])
    assert result == {"d": [[["hi"]], [["hi"]]]}
    assert [runner._instantiated_nodes[n].calls for n in "abcd"] == [1, 1, 1, 1]  # type: ignore[attr-defined]
    assert runner._instantiated_nodes["unused"].calls == 0  # type: ignore[attr-defined]
    assert [name for name, _ in runner.plan(["d"])] == ["a", "b", "c", "d"]
    assert runner.plan(["d"]) is runner.plan(["d"])


def test_an_input_named_like_a_node_stands_in_for_it_and_a_missing_one_arrives_by_name() -> None:
    runner = fake_runner({"a": {"x": "__message__"}, "b": {"x": "a", "y": "__tracker__"}})
    assert runner.run(inputs={"a": "given"}, targets=["b"]) == {"b": ["given", "unresolved:__tracker__"]}
    assert runner._instantiated_nodes["a"].calls == 0  # type: ignore[attr-defined]


def test_the_default_targets_are_the_graphs_own() -> None:
    runner = fake_runner({"a": {"x": "__message__"}, "b": {"x": "a"}}, targets=("a",))
    assert runner.run(inputs={"__message__": "hi"}) == {"a": ["hi"]}


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model: make train")
def test_the_trained_graphs_give_what_dasks_run_gives() -> None:
    from rasa.core.agent import Agent
    from rasa.core.channels import UserMessage
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.nlu.constants import TEXT

    processor = Agent.load(str(MODEL)).processor
    # The same loaded components, run both ways (whichever runner Agent.load chose).
    dask_runner = DaskGraphRunner.__new__(DaskGraphRunner)
    dask_runner.__dict__.update({k: v for k, v in processor.graph_runner.__dict__.items() if k != "_plans"})
    ours = SequentialGraphRunner.__new__(SequentialGraphRunner)
    ours.__dict__.update(dask_runner.__dict__)
    ours._plans = {}
    metadata = processor.model_metadata
    tracker = DialogueStateTracker.from_events("t", [ActionExecuted("action_listen")], slots=processor.domain.slots)
    for text in ["你好", "退货运费谁出", "how long does shipping take", "帮我查一下订单 KF20231123018", "太差劲了"]:
        message = UserMessage(text, message_id="m1")
        processor.graph_runner = dask_runner
        theirs = processor._parse_message_with_graph(message, tracker)
        processor.graph_runner = ours
        mine = processor._parse_message_with_graph(message, tracker)
        assert mine["intent"] == theirs["intent"] and mine.get("sentiment") == theirs.get("sentiment"), text
        assert mine[TEXT] == text
        tracker.update(UserUttered(text, theirs["intent"], theirs["entities"], theirs))
        predictions = [runner.run(inputs={"__tracker__": copy.deepcopy(tracker)}, targets=[metadata.core_target])
                       for runner in (dask_runner, ours)]
        dask_prediction, our_prediction = (p[metadata.core_target] for p in predictions)
        assert our_prediction.policy_name == dask_prediction.policy_name, text
        assert our_prediction.probabilities == pytest.approx(dask_prediction.probabilities), text
        assert our_prediction.events == dask_prediction.events, text
        tracker.update(ActionExecuted(processor.domain.action_names_or_texts[our_prediction.max_confidence_index]))
        tracker.update(ActionExecuted("action_listen"))


def test_tuned_rasa_loads_its_graph_with_this_runner() -> None:
    import rasa.core.processor

    from bot import server

    server.tune_rasa()
    assert rasa.core.processor.DaskGraphRunner is SequentialGraphRunner  # Rasa's own loading (no NLU workers)
