"""A message's features from several featurizers joined in one step, as Rasa joins them but without its copies.

DIET reads each message's features as one matrix per kind: Rasa 3.6's `Message._combine_features` deep-copies the
first featurizer's sparse matrix and then appends each of the others with `scipy.sparse.hstack`, building a new
matrix every time. For our four sparse featurizers (regex, lexical-syntactic, word and character n-gram counts)
that is about 0.9 ms of an NLU worker's CPU per message, more than DIET's own model run in a batch. Here the
matrices' (row, column, value) arrays are concatenated once, with each matrix's columns shifted past the ones before
it: the same COO matrix, entry for entry and in the same order (tests/bot/test_feature_combine.py), in about a
tenth of the time. One feature alone, dense features, other sparse formats and anything unexpected take Rasa's
own way.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

_original: Dict[str, Any] = {}


def combine_features(features: List[Any], featurizers: List[str]) -> Optional[Any]:
    """Message._combine_features: the features joined along their last axis, their origin the featurizers."""
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    # COO is what Rasa's sparse featurizers give and what its join of COO matrices returns.
    if len(features) < 2 or not all(scipy.sparse.isspmatrix_coo(f.features) for f in features):
        return _original["combine"](features, featurizers)
    rows = features[0].features.shape[0]
    if any(f.features.shape[0] != rows for f in features):
        return _original["combine"](features, featurizers)  # it raises Rasa's own error
    parts = [f.features for f in features]
    offsets = np.cumsum([0] + [part.shape[1] for part in parts])
    matrix = scipy.sparse.coo_matrix(
        (np.concatenate([part.data for part in parts]),
         (np.concatenate([part.row for part in parts]),
          np.concatenate([part.col + offset for part, offset in zip(parts, offsets[:-1], strict=True)]))),
        shape=(rows, int(offsets[-1])))
    return Features(matrix, features[0].type, features[0].attribute, featurizers)


def install() -> None:
    """Make Message._combine_features join sparse features in one step (once per process)."""
    from rasa.shared.nlu.training_data.message import Message

    if "combine" not in _original:
        _original["combine"] = Message._combine_features
        Message._combine_features = staticmethod(combine_features)  # type: ignore[method-assign,assignment]
