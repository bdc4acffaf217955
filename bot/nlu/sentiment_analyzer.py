"""NLU component that adds `sentiment` {label, score, probabilities} to every parsed customer message."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from sentiment.inference import SentimentModel, load_model, model_folder

SENTIMENT = "sentiment"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentimentAnalyzer(GraphComponent):
    """Scores each message with the ONNX sentiment model (models/sentiment, built by `make sentiment`)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """`model_dir`: the built model folder; KEFU_SENTIMENT_MODEL_DIR overrides it at run time."""
        return {"model_dir": "models/sentiment"}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.folder = model_folder(config["model_dir"])
        self._model: Optional[SentimentModel] = None

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentAnalyzer:
        """Create the component for training, where nothing is scored."""
        return cls(config)

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentimentAnalyzer:
        """Load for serving: the ONNX session opens now, at server start, not on a customer's first message.

        Rasa loads this component in the training graph too (it has nothing to train), where only the training
        data passes through it unscored: there, with no model id yet, the model is not needed, so `rasa train`
        does not wait for `make sentiment`.
        """
        component = cls(config)
        if execution_context.model_id is not None:
            _ = component.model
        return component

    @property
    def model(self) -> SentimentModel:
        """The loaded model; a missing one raises SentimentModelMissing naming the make target."""
        if self._model is None:
            self._model = load_model(self.folder)
        return self._model

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the sentiment of each message's text (button payloads and empty texts are neutral, not scored)."""
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            if not text or text.startswith("/"):
                result: Dict[str, Any] = {
                    "label": "neutral", "score": 1.0,
                    "probabilities": {"negative": 0.0, "neutral": 1.0, "positive": 0.0},
                }
            else:
                result = self.model.predict_one(text).as_dict()
            message.set(SENTIMENT, result, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is: sentiment is not a feature the classifiers learn from."""
        return training_data

    @classmethod
    def validate_config(cls, config: Optional[Dict[str, Any]]) -> None:
        """Nothing to validate."""
