"""Rewrites of an ONNX model's graph made once, when `make models` converts the recognizer, that
leave its output the same and make it faster on the CPU.

Why: PP-OCRv4's backbone (PPLCNetV3) follows every convolution with "learnable affine blocks",
a scalar scale and a scalar shift, before and after its activation. paddle2onnx writes each as a
Mul and an Add over the whole feature map, and ONNX Runtime keeps them: 112 element-wise passes,
each taking the tensor out of the blocked layout its convolutions use and back (a profile of a
batch of 16 number cells: Mul, Add and the layout reorders were 60% of the time, convolutions
34%). A scalar affine right after a convolution is that convolution with scaled weights and a
shifted bias; one right before an unpadded 1x1 convolution is that convolution with scaled
weights and a bias shifted by the weights' sums. Both are exact (probabilities within float
rounding, 3e-6); those before a padded convolution are left, since the padding's zeros would no
longer be zeros after the shift.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def basic_optimized(source: Path, target: Path) -> None:
    """ONNX Runtime's basic graph optimizations (constant folding, batch norms and bias adds into
    their convolutions, identities removed: rewrites that hold on any hardware), saved to target,
    so that a convolution and the affine after it stand next to each other."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(target)
    options.log_severity_level = 3
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def fold_scalar_affines(model) -> int:
    """Fold every scalar Mul/Add that a convolution can absorb into it (in place); the number of
    nodes removed."""
    from onnx import numpy_helper

    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    graph_outputs = {o.name for o in graph.output}

    def array(name: str):
        return numpy_helper.to_array(initializers[name]) if name in initializers else None

    def own_weights(conv) -> bool:
        """A convolution whose weights and bias are constants no other node reads."""
        return (len(conv.input) == 3 and all(array(n) is not None and uses[n] == 1 for n in conv.input[1:]))

    def unpadded_pointwise(conv, tensor: str) -> bool:
        pads = [v for a in conv.attribute if a.name == "pads" for v in a.ints]
        auto = [a.s for a in conv.attribute if a.name == "auto_pad"]
        return (conv.op_type == "Conv" and conv.input[0] == tensor and own_weights(conv)
                and array(conv.input[1]).shape[2:] == (1, 1) and not any(pads)
                and auto in ([], [b"NOTSET"], [b"VALID"]))

    def scalar_operand(node):
        """(value, the other input) of a Mul/Add by a one-element constant, else None."""
        if node.op_type not in ("Mul", "Add") or len(node.input) != 2:
            return None
        for k, name in enumerate(node.input):
            value = array(name)
            if value is not None and value.size == 1 and node.input[1 - k] not in initializers:
                return float(value.reshape(())), node.input[1 - k]
        return None

    def store(name: str, value: np.ndarray) -> None:
        initializers[name].CopyFrom(numpy_helper.from_array(value.astype(np.float32), name))

    removed = 0
    changed = True
    while changed:
        changed = False
        producer = {out: node for node in graph.node for out in node.output}
        consumers: dict[str, list] = {}
        for node in graph.node:
            for name in node.input:
                consumers.setdefault(name, []).append(node)
        for node in graph.node:
            operand = scalar_operand(node)
            if operand is None:
                continue
            value, tensor = operand
            conv = producer.get(tensor)
            readers = consumers.get(node.output[0], [])
            if conv is not None and conv.op_type == "Conv" and own_weights(conv) \
                    and len(consumers.get(tensor, [])) == 1 and tensor not in graph_outputs:
                weights, bias = array(conv.input[1]), array(conv.input[2])
                if node.op_type == "Mul":
                    store(conv.input[1], weights * value)
                    store(conv.input[2], bias * value)
                else:
                    store(conv.input[2], bias + value)
                conv.output[0] = node.output[0]
            elif readers and node.output[0] not in graph_outputs \
                    and all(unpadded_pointwise(reader, node.output[0]) for reader in readers):
                for reader in readers:
                    weights, bias = array(reader.input[1]), array(reader.input[2])
                    if node.op_type == "Mul":
                        store(reader.input[1], weights * value)
                    else:
                        # Summed in float64: the same bias on any machine.
                        shift = value * weights.astype(np.float64).sum(axis=(1, 2, 3))
                        store(reader.input[2], bias + shift)
                    reader.input[0] = tensor
            else:
                continue
            graph.node.remove(node)
            removed += 1
            changed = True
            break
    return removed
