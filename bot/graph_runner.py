"""Rasa's graph, run in order by plain Python calls instead of through Dask.

Rasa runs its prediction graph for every action it predicts (two or three times a customer message) through
`DaskGraphRunner.run`, which first walks the graph again for the nodes the targets need (recursively, without
remembering a node it has seen, so shared ancestors are walked once per path) and then hands a new task graph to
Dask's synchronous scheduler. Both are the same work every time for the same targets, and together they were about
a tenth of Rasa's own CPU per message. This runner keeps the instantiated nodes (and so the same components, hooks
and errors) and works out, once per set of targets, the order to call them in; each run is then one call a node.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

# (node name, the names of the nodes or inputs it needs, in the order Dask passed them)
Step = Tuple[str, Tuple[str, ...]]


class SequentialGraphRunner(DaskGraphRunner):
    """A DaskGraphRunner whose `run` calls the nodes itself, in an order worked out once per set of targets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[str, ...], List[Step]] = {}

    def plan(self, targets: List[str]) -> List[Step]:
        """The nodes the targets need, each after the nodes it needs (cached per targets)."""
        key = tuple(targets)
        steps = self._plans.get(key)
        if steps is None:
            nodes = self._graph_schema.nodes
            steps, placed = [], set()

            def place(name: str, path: Tuple[str, ...]) -> None:
                if name in placed or name not in nodes:
                    return  # an input, or a name Dask would have passed through unresolved
                if name in path:
                    raise GraphRunError(f"The graph has a cycle through '{name}'.")
                needs = tuple(nodes[name].needs.values())
                for need in needs:
                    place(need, (*path, name))
                placed.add(name)
                steps.append((name, needs))

            for target in targets:
                place(target, ())
            self._plans[key] = steps
        return steps

    def run(self, inputs: Optional[Dict[str, Any]] = None,
            targets: Optional[List[str]] = None) -> Dict[str, Any]:
        """Runs the graph (as DaskGraphRunner.run does: each node gets its parents' (name, output) pairs)."""
        run_targets = targets if targets else self._graph_schema.target_names
        steps = self.plan(run_targets)
        given = inputs or {}
        results: Dict[str, Any] = {name: (name, value) for name, value in given.items()}
        try:
            for name, needs in steps:
                if name in given:
                    continue  # an input named like a node stands in for it, as it does in Dask's graph
                # A need that nothing provides reaches the node as its bare name, as under Dask (the node says so).
                results[name] = self._instantiated_nodes[name](*(results.get(need, need) for need in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(results[target] for target in run_targets if target in results)
