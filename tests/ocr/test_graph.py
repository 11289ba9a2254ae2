"""The recognizer's graph rewrites (pipeline.ocr.graph): the scalar affines its backbone puts
around each convolution are folded into the convolutions, and the outputs stay the same."""
from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from pipeline.ocr.graph import fold_scalar_affines


def _model(pointwise_pads: int):
    """x → 3x3 conv (padded) → ·a → +b → hardsigmoid·x → ·c → +d → conv(1x1 or padded 3x3) → ·e."""
    rng = np.random.default_rng(7)

    def const(name, value):
        return numpy_helper.from_array(np.asarray(value, np.float32), name)

    k = 3 if pointwise_pads else 1
    inits = [const("w1", rng.normal(size=(4, 3, 3, 3))), const("b1", rng.normal(size=4)),
             const("w2", rng.normal(size=(5, 4, k, k))), const("b2", rng.normal(size=5)),
             const("a", [1.7]), const("b", [-0.3]), const("c", [0.6]), const("d", [0.25]), const("e", [2.0])]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Mul", ["a", "c1"], ["m1"]),
        helper.make_node("Add", ["m1", "b"], ["a1"]),
        helper.make_node("HardSigmoid", ["a1"], ["hs"], alpha=1 / 6, beta=0.5),
        helper.make_node("Mul", ["a1", "hs"], ["act"]),
        helper.make_node("Mul", ["c", "act"], ["m2"]),
        helper.make_node("Add", ["m2", "d"], ["a2"]),
        helper.make_node("Conv", ["a2", "w2", "b2"], ["c2"], pads=[pointwise_pads] * 4),
        helper.make_node("Mul", ["c2", "e"], ["y"]),
    ]
    graph = helper.make_graph(nodes, "affines", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8, 12])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, 8, 12])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])


def _run(model, x):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_affines_beside_convolutions_fold_and_outputs_stay_the_same():
    x = np.random.default_rng(1).normal(size=(2, 3, 8, 12)).astype(np.float32)
    model = _model(pointwise_pads=0)
    before = _run(model, x)
    # ·a and +b into the first convolution, ·c and +d into the 1x1 one, ·e into it too.
    assert fold_scalar_affines(model) == 5
    assert [n.op_type for n in model.graph.node] == ["Conv", "HardSigmoid", "Mul", "Conv"]
    onnx.checker.check_model(model)
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-5, atol=1e-5)


def test_shift_before_a_padded_convolution_is_left():
    """The padding's zeros would be shifted too: c and d stay where they are."""
    x = np.random.default_rng(2).normal(size=(2, 3, 8, 12)).astype(np.float32)
    model = _model(pointwise_pads=1)
    before = _run(model, x)
    assert fold_scalar_affines(model) == 3
    assert [n.op_type for n in model.graph.node] == ["Conv", "HardSigmoid", "Mul", "Mul", "Add", "Conv"]
    np.testing.assert_allclose(_run(model, x), before, rtol=1e-5, atol=1e-5)
