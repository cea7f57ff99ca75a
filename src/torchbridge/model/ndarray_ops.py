"""What NumPy's subscripts and arithmetic operators give: the kind, rank and memory layout of
``a[0, :]``, ``a[:, ::-1]``, ``a / 255``, ``a - mean``, ``-a``.

Measured with NumPy 2.4 (``tests/model/test_ndarray_ops.py`` checks every case against the
installed NumPy):

- Basic indexing (integers, slices, ``...``, ``None``) gives a view. Of a C-contiguous array
  it stays C-contiguous while the integers come first and only the first sliced axis is
  cut (``a[0]``, ``a[0, :]``, ``a[1:3]``, ``a[0, 1:3]``); an integer after a slice
  (``a[:, 0]``), a cut or stepped later axis (``a[:, 1:]``, ``a[::2]``) leave it
  non-contiguous. A negative step gives negative strides; an integer index of an array
  with negative strides may drop the flipped axis (``a[::-1][0]`` is C-contiguous).
- An element-wise operator makes a new array in its operand's memory order (``order='K'``):
  a C-contiguous operand gives a C-contiguous result, a transposed one a transposed
  result, and negative strides become positive. Of two arrays, only two C-contiguous
  operands give a known (C-contiguous) result.
- Any index of an array whose dtype is a number's gives a part of it or one element: an
  ndarray or a NumPy scalar (``Kind.ARRAY_OR_SCALAR``), when no basic index says which.
- A new empty array has all-zero strides, and so has every copy of one and every
  element-wise result with an empty operand (``Value.zero_strides``).
- An operand that is an ndarray or a NumPy scalar (``Kind.ARRAY_OR_SCALAR``) with numbers
  gives an ndarray or a NumPy scalar again.

An integer or fancy index whose value is not known may be a tuple that picks a scalar, so
only literal integers (and names proven to hold a Python number) count as integers here.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from . import dtypes
from .names import literal_int
from .values import UNKNOWN, Kind, Layout, Value

# The NumPy dtypes the model names (``dtypes``): numbers and bools, never objects or records.
_NUMERIC_DTYPES = frozenset(dtypes.NUMPY_DTYPES.values())
# What NumPy turns into an array operand: numbers broadcast, lists and tuples become arrays.
_SCALARS = frozenset({Kind.NUMBER, Kind.NUMPY_SCALAR})
_SEQUENCES = frozenset({Kind.LIST, Kind.TUPLE})


def elementwise(operands: Sequence[Value]) -> Value:
    """The result of ``a / 255``, ``a - mean``, ``-a`` where no operand is a tensor: an ndarray
    when one operand is and the others are numbers, arrays or sequences; else unknown."""
    arrays = [v for v in operands if v.kind is Kind.NDARRAY]
    if not arrays and any(v.kind is Kind.ARRAY_OR_SCALAR for v in operands):
        # ``ds[i] / 255``: an array of an array, a NumPy scalar of a NumPy scalar
        either = all(v.kind in _SCALARS | {Kind.ARRAY_OR_SCALAR} for v in operands)
        return Value(Kind.ARRAY_OR_SCALAR) if either else UNKNOWN
    if not arrays or any(v.kind not in _SCALARS | _SEQUENCES | {Kind.NDARRAY} for v in operands):
        return UNKNOWN
    if any(v.ndim == 0 for v in arrays):
        return UNKNOWN  # arithmetic on a 0-d array gives a NumPy scalar
    ranks = [v.ndim for v in arrays if v.ndim is not None]
    # Broadcasting gives the largest rank; a list's rank is not known.
    ndim = max(ranks) if len(ranks) == len(arrays) and not any(v.kind in _SEQUENCES for v in operands) else None
    if any(v.zero_strides for v in arrays):
        return zero_strided(ndim)  # an empty operand makes a new, empty result
    evidence = next((v.evidence for v in arrays if v.evidence is not None), None)
    if len(arrays) == 1 and all(v.kind in _SCALARS for v in operands if v is not arrays[0]):
        layout = arrays[0].layout
        if layout is Layout.NEGATIVE:
            layout = Layout.UNKNOWN  # positive strides, in an order the model does not keep
        return Value(Kind.NDARRAY, layout, ndim, evidence=evidence)
    contiguous = all(v.layout is Layout.CONTIGUOUS for v in arrays)
    return Value(Kind.NDARRAY, Layout.CONTIGUOUS if contiguous else Layout.UNKNOWN, ndim, evidence=evidence)


def indexed(base: Value, indices: Sequence[cst.BaseSlice], integer: Sequence[bool], node: cst.CSTNode,
            row_of_unknown_rank: bool = False) -> Value:
    """``base[indices]`` for an ndarray ``base``; ``integer[i]``: index ``i`` is proven an integer.
    Unknown unless every index is basic (an integer, a slice, ``...`` or ``None``).

    ``row_of_unknown_rank``: the result is itself sliced (``images[0][:, ::-1]``), which
    raises on a NumPy scalar, so ``images[0]`` may be taken for an array there even when the
    rank of ``images`` is not known."""
    slots: list[str] = []  # "int", "full", "cut" (start/stop), "step", "flip", "..."; None adds an axis
    for index, is_integer in zip(indices, integer):
        if type(index) is cst.Slice:
            slots.append(_slice_kind(index))
        elif type(index) is not cst.Index:
            return UNKNOWN
        elif type(index.value) is cst.Ellipsis:
            slots.append("...")
        elif type(index.value) is cst.Name and index.value.value == "None":
            continue
        elif is_integer:
            slots.append("int")
        else:
            return UNKNOWN  # a fancy index, a mask or an unknown value: a copy, or a scalar
    if slots.count("...") > 1 or "unknown" in slots:
        return UNKNOWN
    integers = slots.count("int")
    added = len(indices) - len(slots)  # the ``None`` indices
    ndim = base.ndim - integers + added if base.ndim is not None else None
    if ndim is not None and ndim <= 0:
        return UNKNOWN  # every axis picked: a NumPy scalar (or an IndexError)
    if ndim is None and slots and all(slot == "int" for slot in slots) and not added and not row_of_unknown_rank:
        return UNKNOWN  # a[0] of an array of unknown rank: a row, or a scalar of a 1-d array
    if base.zero_strides:
        return zero_strided(ndim)
    if "flip" in slots:
        if base.layout is Layout.NEGATIVE:
            return Value(Kind.NDARRAY, Layout.UNKNOWN, ndim)  # may flip back
        return Value(Kind.NDARRAY, Layout.NEGATIVE, ndim, evidence=node)
    if base.layout is Layout.NEGATIVE:
        # Slices keep every stride's sign; an integer may pick the flipped axis away.
        return base.but(ndim=ndim) if not integers else Value(Kind.NDARRAY, ndim=ndim)
    if base.layout is Layout.CONTIGUOUS and _keeps_c_order(slots):
        return Value(Kind.NDARRAY, Layout.CONTIGUOUS, ndim, evidence=base.evidence)
    return Value(Kind.NDARRAY, Layout.UNKNOWN, ndim)


def part_of(base: Value) -> Value:
    """``a[i]`` for any index ``i`` of an ndarray whose dtype is a number's: a part of it (an
    ndarray) or one element (a NumPy scalar); a name raises without a structured dtype. An
    array of objects, or of a dtype the code does not show, may hold anything."""
    return Value(Kind.ARRAY_OR_SCALAR) if base.dtype in _NUMERIC_DTYPES else UNKNOWN


def row_of(base: Value) -> Value:
    """What one step of ``for x in a`` gives for an ndarray ``a``: a row (an ndarray of one
    dimension less, the same dtype) where ``a`` has two or more; where it has one, or the code
    does not show its rank, what ``a[i]`` is (``part_of``; a 1-d array of numbers gives NumPy
    scalars, one of objects anything)."""
    if base.ndim is not None and base.ndim >= 2:
        return Value(Kind.NDARRAY, ndim=base.ndim - 1, dtype=base.dtype)
    if base.ndim == 1:
        return Value(Kind.NUMPY_SCALAR) if base.dtype in _NUMERIC_DTYPES else UNKNOWN
    return part_of(base)


def zero_strided(ndim: int | None) -> Value:
    """A view of an array whose strides are all 0 (``Value.zero_strides``): its strides stay 0,
    and NumPy calls a zero-size array C-contiguous."""
    return Value(Kind.NDARRAY, Layout.CONTIGUOUS, ndim, zero_strides=True)


def _slice_kind(index: cst.Slice) -> str:
    step = literal_int(index.step) if index.step is not None else 1
    if step is None:
        return "unknown"  # a step held in a variable may be negative
    if step < 0:
        return "flip"
    if step != 1:
        return "step"
    return "full" if index.lower is None and index.upper is None else "cut"


def _keeps_c_order(slots: Sequence[str]) -> bool:
    """Of a C-contiguous array: integers first, then at most one cut axis, then full axes."""
    rest = list(slots)
    while rest and rest[0] == "int":
        rest.pop(0)
    if rest and rest[0] == "cut":
        rest.pop(0)
    return all(slot in ("full", "...") for slot in rest)


