"""DIET's intent prediction for a list of messages in one run of its TensorFlow model.

Rasa 3.6's DIETClassifier.process takes a list of messages but predicts them one at a time: for each it builds the
model data of one message and calls the model's TensorFlow function, whose call overhead (checking the inputs
against the signature, converting them to tensors) costs more than the little model itself. Under load the NLU
workers parse several queued messages in one run of the graph (bot/nlu_pool.py); here DIET then builds the model
data of all of them and runs the model once, padded to the longest message, and each message gets its own row of
the scores. Padding is masked inside DIET, so each message's intent and ranking are what a run of its own gives
(tests/bot/test_diet_batch.py compares them on the held-out messages).

Only the intent is batched: with entity recognition on (ours is off), or when diagnostic data is asked for, Rasa's
own per-message process runs.
"""

from __future__ import annotations

from typing import Any, Dict, List

_original: Dict[str, Any] = {}


def _row(outputs: Dict[str, Any], index: int) -> Dict[str, Any]:
    """One message's outputs from a batch's: its row of every array, as a batch of one."""
    import numpy as np

    return {key: value[index:index + 1] for key, value in outputs.items() if isinstance(value, np.ndarray)}


def process_batched(self: Any, messages: List[Any]) -> List[Any]:
    """DIETClassifier.process with one model run for all the messages (Rasa's own for one message, entities or
    diagnostic data)."""
    from rasa.nlu.classifiers.diet_classifier import ENTITY_RECOGNITION, INTENT_CLASSIFICATION
    from rasa.shared.nlu.constants import INTENT

    if (len(messages) < 2 or self.model is None or not self.component_config[INTENT_CLASSIFICATION]
            or self.component_config[ENTITY_RECOGNITION] or self._execution_context.should_add_diagnostic_data):
        return _original["process"](self, messages)  # type: ignore[no-any-return]
    model_data = self._create_model_data(messages, training=False)
    if model_data.is_empty() or model_data.number_of_examples() != len(messages):
        return _original["process"](self, messages)  # type: ignore[no-any-return]
    outputs = self.model.run_inference(model_data, batch_size=len(messages))
    for index, message in enumerate(messages):
        label, ranking = self._predict_label(_row(outputs, index))
        message.set(INTENT, label, add_to_output=True)
        message.set("intent_ranking", ranking, add_to_output=True)
    return messages


def install() -> None:
    """Make DIETClassifier.process batch its intent predictions (once per process)."""
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier

    if "process" not in _original:
        _original["process"] = DIETClassifier.process
        DIETClassifier.process = process_batched  # type: ignore[method-assign]
