from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentiment_analyzer import SENTIMENT, SentimentAnalyzer
from sentiment.inference import SentimentModelMissing


def _load(tmp_path: Path, model_dir: Path, model_id: str | None) -> SentimentAnalyzer:
    context = ExecutionContext(graph_schema=GraphSchema({}), model_id=model_id)
    return SentimentAnalyzer.load({"model_dir": str(model_dir)}, LocalModelStorage(tmp_path / "storage"),
                                  Resource("sentiment"), context)


def test_training_graph_loads_it_without_a_built_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_SENTIMENT_MODEL_DIR", raising=False)
    component = _load(tmp_path, tmp_path / "none", model_id=None)
    data = TrainingData([Message(data={TEXT: "我要退货"})])
    assert component.process_training_data(data) is data


def test_serving_loads_the_model_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEFU_SENTIMENT_MODEL_DIR", raising=False)
    with pytest.raises(SentimentModelMissing, match="make sentiment"):
        _load(tmp_path, tmp_path / "none", model_id="a-model")


def test_serving_scores_each_message(tmp_path: Path) -> None:
    component = _load(tmp_path, Path("models/sentiment"), model_id="a-model")
    message = Message(data={TEXT: "太差劲了，等了一个星期还没到，气死我了"})
    component.process([message])
    assert message.get(SENTIMENT)["label"] == "negative"
