"""The torch calls that turn an ndarray into a tensor."""

from __future__ import annotations

import libcst as cst

from ...model.semantic import SemanticModel

# Every one of these raises on a negative stride (interop semantics, P1/P3).
ARRAY_CONVERTERS = frozenset({
    "torch.from_numpy", "torch.as_tensor", "torch.tensor", "torch.asarray", "torch.Tensor",
    "torch.FloatTensor", "torch.DoubleTensor", "torch.LongTensor", "torch.IntTensor",
    "torch.HalfTensor", "torch.ByteTensor", "torch.BoolTensor",
})
# These share the array's memory, strides included.
SHARING_CONVERTERS = frozenset({"torch.from_numpy", "torch.as_tensor"})


def converter_name(model: SemanticModel, func: cst.BaseExpression, converters: frozenset[str]) -> str | None:
    """``torch.from_numpy`` when ``func`` names one of ``converters`` (through any alias)."""
    found = model.qualnames(func) & converters
    return min(found) if found else None
