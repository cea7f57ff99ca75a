"""What ``np.ascontiguousarray`` does to a flipped array, from the axis lengths the program
writes out.

``np.ascontiguousarray(a)`` returns ``a`` itself when NumPy's flags call it C-contiguous,
and those flags ignore the stride of an axis of length 1. So a flip of length-1 axes only
(``np.zeros((1, 10, 20))[::-1]``) comes back with its negative stride, and
``torch.from_numpy`` still raises (numpy#23349); a flip of a longer axis is copied into a
C-contiguous array with positive strides. Measured with NumPy 2.4 and torch 2.13
(tests/model/test_value_facts.py runs every case).

Computed only when the evaluator meets ``np.ascontiguousarray`` of an array with negative
strides, and only for the one form whose axis lengths are written out: a full flip
(``::-1``, every other index ``:``) of a NumPy factory call with a literal shape, given
directly or through the name assigned it. The factory must sit in the flip itself: a name
for it may have been bound again between the flip and this point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from . import catalogue
from .names import first_argument, keyword_argument, literal_int
from .values import Layout

if TYPE_CHECKING:
    from .semantic import SemanticModel



def contiguous_layout(model: SemanticModel, source: cst.BaseExpression) -> Layout:
    """The layout of ``np.ascontiguousarray(source)`` for a ``source`` with negative strides:
    NEGATIVE when every flipped axis has length 1, CONTIGUOUS when one is longer, else
    UNKNOWN."""
    lengths = _flipped_lengths(model, source)
    if lengths is None:
        return Layout.UNKNOWN
    flipped, shape = lengths
    if not flipped or min(shape) < 1:
        return Layout.UNKNOWN  # an empty array is contiguous whatever its strides
    if all(shape[axis] == 1 for axis in flipped):
        return Layout.NEGATIVE
    return Layout.CONTIGUOUS


def _flipped_lengths(model: SemanticModel, expr: cst.BaseExpression) -> tuple[list[int], list[int]] | None:
    """The flipped axes of ``expr`` and the shape of the array it flips, where ``expr`` is
    ``<factory with a literal shape>[:, ::-1, ...]`` (slices only, each ``:`` or ``::-1``)."""
    expr = _assigned(model, expr)
    if type(expr) is not cst.Subscript:
        return None
    shape = _literal_shape(model, expr.value)
    if shape is None or len(expr.slice) > len(shape):
        return None
    flipped: list[int] = []
    for axis, element in enumerate(expr.slice):
        index = element.slice
        if type(index) is not cst.Slice or index.lower is not None or index.upper is not None:
            return None
        step = literal_int(index.step) if index.step is not None else 1
        if step == -1:
            flipped.append(axis)
        elif step != 1:
            return None
    return flipped, shape


def _assigned(model: SemanticModel, expr: cst.BaseExpression) -> cst.BaseExpression:
    """What the name ``expr`` was last assigned (its binding here); any other expression as it is."""
    if type(expr) is not cst.Name:
        return expr
    binding = model.lookup(expr.value)
    if binding is None or binding.kind != "assign" or binding.value is None:
        return expr
    return binding.value


def _literal_shape(model: SemanticModel, expr: cst.BaseExpression) -> list[int] | None:
    """``np.zeros((1, 10, 20))``: the shape of a new C-ordered array, when written out."""
    if type(expr) is not cst.Call or keyword_argument(expr, "order") is not None:
        return None
    names = model.qualnames(expr.func)
    entry = catalogue.lookup(next(iter(names))) if len(names) == 1 else None
    if entry is None or not entry.ndim_from_shape or entry.layout is not Layout.CONTIGUOUS:
        return None
    if len([a for a in expr.args if a.keyword is None]) > 2:
        return None  # an order given by position
    shape = first_argument(expr) or keyword_argument(expr, "shape")
    if type(shape) is cst.Tuple or type(shape) is cst.List:
        lengths = [literal_int(e.value) if type(e) is not cst.StarredElement else None for e in shape.elements]
    else:
        lengths = [literal_int(shape)]
    return [n for n in lengths if n is not None] if None not in lengths and lengths else None
