"""Where a device goes in a call: the places a hard-coded ``'cuda'`` can hurt."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from ...model.guards import CUDA_REQUIRING_CALLS
from ...model.names import string_value
from ...model.semantic import SemanticModel

_CUDA_LITERAL = re.compile(r"^cuda(?::\d+)?$")
# Keywords that take a device in torch calls (factories, modules, Generator, load, DataLoader).
DEVICE_KEYWORDS = frozenset({"device", "map_location", "pin_memory_device"})
# Tensor and module methods that take a device= keyword; for .to() the first positional too.
DEVICE_METHODS = frozenset({"to", "to_empty", "new_tensor", "new_zeros", "new_ones", "new_empty", "new_full"})
# torch functions whose first positional argument is a device (``torch.Generator("cuda")``
# raises without CUDA, as a device= keyword does).
POSITIONAL_DEVICE_FUNCTIONS = frozenset({"torch.set_default_device", "torch.Generator"})


def cuda_literal(node: cst.CSTNode) -> str | None:
    """``'cuda'`` or ``'cuda:N'`` as a plain string literal, else None."""
    value = string_value(node)
    return value if value is not None and _CUDA_LITERAL.match(value) else None


def cuda_device(model: SemanticModel, expr: cst.BaseExpression) -> tuple[cst.BaseExpression, str] | None:
    """A hard-coded CUDA device: ``'cuda'``, ``'cuda:1'``, ``torch.device('cuda')``,
    ``torch.device('cuda', 1)``, ``torch.device(type='cuda')``. Returns the string literal
    (where a finding points) and its text.

    ``torch.device('cuda')`` by itself is only a descriptor (it never raises), so it counts
    only where it reaches a device position, like a plain string would.
    """
    text = cuda_literal(expr)
    if text is not None:
        return expr, text
    if type(expr) is cst.Call and model.resolves_to(expr.func, "torch.device"):
        if any(_calls_cuda_requiring(model, arg.value) for arg in expr.args):
            return None  # torch.device("cuda", torch.cuda.current_device()) raises itself first
        for arg in expr.args:
            if (arg.keyword is None and not arg.star) or (arg.keyword is not None and arg.keyword.value == "type"):
                text = cuda_literal(arg.value)
                return (arg.value, text) if text is not None else None
    return None


def _calls_cuda_requiring(model: SemanticModel, expr: cst.BaseExpression) -> bool:
    """``expr`` calls something that raises without CUDA (``torch.cuda.current_device()``):
    a device built from it is never reached on a machine without CUDA."""
    return type(expr) is cst.Call and not model.qualnames(expr.func).isdisjoint(CUDA_REQUIRING_CALLS)


def device_arguments(model: SemanticModel, call: cst.Call) -> Iterator[cst.BaseExpression]:
    """The argument expressions of ``call`` that sit in a device position."""
    func = call.func
    qualnames = model.qualnames(func)
    in_torch = any(q == "torch" or q.startswith("torch.") for q in qualnames)
    method = func.attr.value if type(func) is cst.Attribute and not qualnames else None
    if not in_torch and method not in DEVICE_METHODS:
        return
    takes_positional = (method == "to") or not qualnames.isdisjoint(POSITIONAL_DEVICE_FUNCTIONS)
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if takes_positional and positional:
        yield positional[0].value
    for arg in call.args:
        if arg.keyword is None:
            continue
        keyword = arg.keyword.value
        if keyword in DEVICE_KEYWORDS or (keyword == "type" and "torch.device" in qualnames):
            yield arg.value
