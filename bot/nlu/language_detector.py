"""NLU component that tags each message with a `language` entity, which fills the `language` slot."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import detect_language

LANGUAGE_ENTITY = "language"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the entity `language` (zh or en) to every message whose language can be told."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """No options yet."""
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        """Create the component; it has nothing to train or load."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Tag each message; messages of digits or emoji alone keep the conversation's language."""
        for message in messages:
            language = detect_language(message.get(TEXT))
            if language is None:
                continue
            text = message.get(TEXT) or ""
            entity = {
                "entity": LANGUAGE_ENTITY,
                "value": language,
                "start": 0,
                "end": len(text),
                "confidence_entity": 1.0,
                "extractor": self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data is left as it is: the language entity is not learnt."""
        return training_data

    @classmethod
    def validate_config(cls, config: Optional[Dict[str, Any]]) -> None:
        """Nothing to validate."""
