"""DIET loads in a third of Rasa 3.6's time: the one training step that creates its weights runs eagerly.

Rasa's `RasaModel.load` creates a model's variables by training it on one example (`model.fit`), then
overwrites them all with the saved weights, then traces the prediction function once. Under `fit`, Keras traces
the whole training step (the loss, its gradients, Adam's update) into a TensorFlow graph before running it once:
7 of the 11 CPU-seconds an NLU worker spends loading DIET, for a graph that is used once and thrown away. Run
eagerly, the same step creates the same variables in about a second. The prediction function is traced as before,
so a loaded model predicts exactly as Rasa's own (tests/bot/test_nlu_pool.py compares the workers' parses with
Rasa's own loading). This matters most when Rasa restarts after a crash: every NLU worker loads DIET again while
customers wait (README, "When a server crashes").
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

logger = logging.getLogger(__name__)
_original: Dict[str, Any] = {}


def load(cls: Any, model_file_name: str, model_data_example: Any, predict_data_example: Optional[Any] = None,
         finetune_mode: bool = False, *args: Any, **kwargs: Any) -> Any:
    """RasaModel.load, with the weight-building training step run eagerly instead of traced."""
    import tensorflow as tf
    from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
    from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

    model = cls(*args, **kwargs)
    config = kwargs.get("config", {})
    model.compile(optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)), run_eagerly=True)
    # One step on one example, only so that every variable (Adam's included, for the checkpoint) exists.
    model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
    model.load_weights(model_file_name)
    # Back to the configured mode: predictions (and fine-tuning) run as Rasa's own load leaves them.
    model.run_eagerly = config.get(RUN_EAGERLY)
    model.train_function = None  # a later fit (fine-tuning) makes its own, traced unless configured eager
    if not finetune_mode and predict_data_example:
        model.run_inference(predict_data_example)  # traces the prediction function once, as Rasa's does
    return model


def install() -> None:
    """Replace RasaModel.load (idempotent)."""
    from rasa.utils.tensorflow.models import RasaModel

    _original.setdefault("load", RasaModel.__dict__["load"])
    RasaModel.load = classmethod(load)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Rasa's own RasaModel.load again (tests compare the two)."""
    from rasa.utils.tensorflow.models import RasaModel

    if "load" in _original:
        RasaModel.load = _original["load"]  # type: ignore[method-assign]
