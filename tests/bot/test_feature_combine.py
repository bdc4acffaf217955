"""bot/feature_combine.py: a message's sparse features joined in one step are Rasa's own join, entry for entry."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

from bot import feature_combine


def featured(rows: int, seed: int) -> list[Features]:
    """Four sparse featurizers' sequence features of one message, widths and densities like ours."""
    out = []
    for k, (width, per_row) in enumerate(((30, 1), (80, 8), (4000, 1), (40000, 12))):
        matrix = scipy.sparse.random(rows, width, density=per_row / width, format="coo", random_state=seed + k)
        out.append(Features(matrix, "sequence", "text", f"featurizer{k}"))
    return out


def assert_same(ours: Features, rasas: Features) -> None:
    a, b = ours.features, rasas.features
    assert (a.format, a.shape, a.dtype) == (b.format, b.shape, b.dtype)
    assert np.array_equal(a.row, b.row) and np.array_equal(a.col, b.col) and np.array_equal(a.data, b.data)
    assert (ours.type, ours.attribute, ours.origin) == (rasas.type, rasas.attribute, rasas.origin)


@pytest.mark.parametrize("rows", [1, 3, 12])
def test_joined_in_one_step_is_rasas_join(rows: int) -> None:
    feature_combine.install()
    original = feature_combine._original["combine"]
    for seed in range(5):
        features = featured(rows, seed * 10)
        assert_same(Message._combine_features(features, ["a", "b"]), original(featured(rows, seed * 10), ["a", "b"]))


def test_the_message_reads_the_same_features(monkeypatch: pytest.MonkeyPatch) -> None:
    feature_combine.install()
    message = Message(data={"text": "退货运费谁出"})
    for feature in featured(6, 1) + [Features(m.features.tocsr()[:1].tocoo(), "sentence", "text", m.origin)
                                     for m in featured(6, 7)]:
        message.add_features(feature)
    ours = message.get_all_features("text")
    monkeypatch.setattr(Message, "_combine_features", staticmethod(feature_combine._original["combine"]))
    rasas = message.get_all_features("text")
    assert len(ours) == len(rasas) == 2
    for one, other in zip(ours, rasas, strict=True):
        assert_same(one, other)


def test_one_feature_dense_ones_and_mismatched_rows_take_rasas_way() -> None:
    feature_combine.install()
    [one] = featured(2, 3)[:1]
    alone = Message._combine_features([one], ["x"])
    assert alone is not one and alone.origin == ["x"] and (alone.features != one.features).nnz == 0
    dense = [Features(np.ones((2, 3)), "sequence", "text", "d1"), Features(np.zeros((2, 2)), "sequence", "text", "d2")]
    joined = Message._combine_features(dense, [])
    assert joined.features.shape == (2, 5) and joined.features[:, :3].sum() == 6
    assert Message._combine_features([], []) is None
    csr = [Features(f.features.tocsr(), f.type, f.attribute, f.origin) for f in featured(2, 5)]
    assert Message._combine_features(csr, []).features.format == "csr"  # as Rasa's own join gives it
    with pytest.raises(ValueError, match="sequence dimensions do not match"):
        Message._combine_features(featured(2, 1)[:2] + featured(3, 1)[2:], [])
    feature_combine.install()  # a second install keeps the first original
    assert feature_combine._original["combine"] is not feature_combine.combine_features
