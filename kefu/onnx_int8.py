"""int8 copies of the exported transformer graphs (the sentiment model and the KB's query encoder).

On these cores ONNX Runtime runs a MatMul with int8 weights about twice as fast as in fp32, so an int8 encoder halves
most of a message's model work. Quantising every MatMul moved too many decisions, though: each layer's feed-forward
output projection reads the GELU's activations, whose few large outliers a per-call int8 scale flattens. Keeping just
those 12 projections in fp32 (a third of the multiply-adds) brings the int8 graph back to within rounding of fp32
(sentiment labels 99.0% the same on 2,000 dev texts instead of 97.1%; query vectors at cosine 0.995 instead of 0.985)
for most of the speed (6.3 instead of 5.5 ms a message; fp32 13 ms). Both builds still check their copy against fp32
and keep fp32 when it drifts.
"""

from __future__ import annotations

import logging
from pathlib import Path

# Recorded beside each check, so a graph quantised or checked under an older recipe is built and checked again.
RECIPE = "matmul-int8-per-channel-keep-narrowing-v1"


def narrowing_matmuls(path: Path) -> list[str]:
    """The MatMul nodes whose constant weight has more rows than columns: each layer's feed-forward output."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    shapes = {init.name: list(init.dims) for init in model.graph.initializer}
    return [
        node.name for node in model.graph.node
        if node.op_type == "MatMul"
        and any(len(shapes.get(name, ())) == 2 and shapes[name][0] > shapes[name][1] for name in node.input)
    ]


def quantize(src: Path, dst: Path) -> list[str]:
    """Write `dst`: `src` with the other MatMuls' weights in int8 per output channel; returns the nodes kept fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = narrowing_matmuls(src)
    if not keep:
        raise ValueError(f"{src}: no feed-forward output projections found, so no int8 copy is made")
    # The quantiser logs a hint about pre-processing for static quantisation, which this is not.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=keep)
    finally:
        root.setLevel(level)
    return keep


__all__ = ["RECIPE", "narrowing_matmuls", "quantize"]
