"""The int8 recipe: which MatMuls stay fp32, and what the quantised graph computes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from kefu import onnx_int8


def tiny_feed_forward(path: Path) -> None:
    """x (n, 8) → MatMul up to 32 → Relu → MatMul back down to 8: one feed-forward block."""
    rng = np.random.default_rng(0)
    up = numpy_helper.from_array(rng.normal(size=(8, 32)).astype(np.float32), "w_up")
    down = numpy_helper.from_array(rng.normal(size=(32, 8)).astype(np.float32), "w_down")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w_up"], ["h"], name="/layer.0/intermediate/dense/MatMul"),
         helper.make_node("Relu", ["h"], ["a"], name="relu"),
         helper.make_node("MatMul", ["a", "w_down"], ["y"], name="/layer.0/output/dense/MatMul")],
        "ffn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 8])], initializer=[up, down],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"x": x})[0])


def test_the_feed_forward_output_stays_fp32_and_the_rest_is_int8(tmp_path: Path) -> None:
    fp32, int8 = tmp_path / "model.onnx", tmp_path / "model.int8.onnx"
    tiny_feed_forward(fp32)
    assert onnx_int8.narrowing_matmuls(fp32) == ["/layer.0/output/dense/MatMul"]
    assert onnx_int8.quantize(fp32, int8) == ["/layer.0/output/dense/MatMul"]
    ops = [node.op_type for node in onnx.load(str(int8)).graph.node]
    # The widening projection runs on int8 weights; the narrowing one is still a plain fp32 MatMul.
    assert "MatMulInteger" in ops and ops.count("MatMul") == 1
    x = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    expected, got = run(fp32, x), run(int8, x)
    assert not np.array_equal(expected, got)
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()


def test_a_graph_without_a_feed_forward_output_gets_no_int8_copy(tmp_path: Path) -> None:
    import pytest

    weight = numpy_helper.from_array(np.ones((8, 32), dtype=np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="up")], "up",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 32])], initializer=[weight],
    )
    path = tmp_path / "model.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ValueError, match="no feed-forward output"):
        onnx_int8.quantize(path, tmp_path / "model.int8.onnx")
    assert not (tmp_path / "model.int8.onnx").exists()
