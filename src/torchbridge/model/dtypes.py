"""Dtypes the code shows: of Python literals, of NumPy arrays whose producer names one, and
the dtype ``torch.tensor`` infers from them.

A value's ``dtype`` fact is a NumPy or torch dtype name (``float64``, ``int64``, ``bool``),
or, for Python numbers and lists of them, their Python kind (``int``, ``float``,
``complex``, ``bool``): what a converter then makes of it depends on the converter
(``torch.tensor``: ``int`` is int64, ``float`` the default dtype; NumPy: ``float`` is
float64). Anything the code does not show is None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from . import catalogue
from .names import keyword_argument, string_value

if TYPE_CHECKING:
    from .semantic import SemanticModel

# Python kinds in promotion order: [True, 1] is int, [1, 2.0] float, [1.0, 1j] complex.
PYTHON_KINDS = ("bool", "int", "float", "complex")

# torch's dtype objects by every name they go by.
TORCH_DTYPES = {
    **{f"torch.{name}": name for name in (
        "float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool",
        "complex64", "complex128",
    )},
    "torch.half": "float16", "torch.float": "float32", "torch.double": "float64", "torch.short": "int16",
    "torch.int": "int32", "torch.long": "int64", "torch.cfloat": "complex64", "torch.cdouble": "complex128",
}
# NumPy's dtype names and scalar types; the platform-sized ones (``np.int_``, ``int``) are left
# out: under NumPy 1 on Windows they are int32.
_NUMPY_NAMES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                "uint32", "uint64", "bool", "complex64", "complex128")
NUMPY_DTYPES = {
    **{f"numpy.{name}": name for name in _NUMPY_NAMES},
    "numpy.bool_": "bool", "numpy.double": "float64", "numpy.single": "float32", "numpy.half": "float16",
    "numpy.float_": "float64", "numpy.complex_": "complex128", "builtins.float": "float64",
    "builtins.bool": "bool", "builtins.complex": "complex128",
}
# What NumPy makes of a Python kind (an int is platform-sized: unknown).
_NUMPY_FROM_PYTHON = {"bool": "bool", "float": "float64", "complex": "complex128"}


def literal_kind(expr: cst.BaseExpression) -> str | None:
    """The Python kind of a number, ``True``/``False``, or a (nested) list or tuple of them."""
    if type(expr) is cst.Integer:
        return "int"
    if type(expr) is cst.Float:
        return "float"
    if type(expr) is cst.Imaginary:
        return "complex"
    if type(expr) is cst.Name and expr.value in ("True", "False"):
        return "bool"
    if type(expr) is cst.UnaryOperation and (type(expr.operator) is cst.Minus or type(expr.operator) is cst.Plus):
        kind = literal_kind(expr.expression)
        return "int" if kind == "bool" else kind  # -True is -1
    if type(expr) is cst.List or type(expr) is cst.Tuple:
        if not expr.elements:
            return "float"  # torch.tensor([]) has the default dtype, np.array([]) float64
        kinds = [None if type(e) is cst.StarredElement else literal_kind(e.value) for e in expr.elements]
        known = [kind for kind in kinds if kind is not None]
        return max(known, key=PYTHON_KINDS.index) if len(known) == len(kinds) else None
    return None


def torch_dtype(model: SemanticModel, expr: cst.BaseExpression | None) -> str | None:
    """``torch.float`` -> ``float32``; None for anything that is not a torch dtype written out."""
    if expr is None:
        return None
    names = {TORCH_DTYPES.get(q) for q in model.qualnames(expr)}
    return names.pop() if len(names) == 1 else None


def numpy_dtype(model: SemanticModel, expr: cst.BaseExpression | None) -> str | None:
    """``np.float32``, ``'float32'``, ``float`` -> a NumPy dtype name; None if not shown."""
    if expr is None:
        return None
    text = string_value(expr)
    if text is not None:
        return text if text in _NUMPY_NAMES else None
    qualnames = model.qualnames(expr)
    if not qualnames and type(expr) is cst.Name and model.lookup(expr.value) is None:
        qualnames = frozenset({f"builtins.{expr.value}"})
    names = {NUMPY_DTYPES.get(q) for q in qualnames}
    return names.pop() if len(names) == 1 else None


def numpy_from(model: SemanticModel, call: cst.Call, source: str | None) -> str | None:
    """The dtype of an array a NumPy call makes from data of dtype ``source`` (an array's
    name or a Python kind): its ``dtype=`` when given, else what NumPy infers."""
    if keyword_argument(call, "dtype") is not None:
        return numpy_dtype(model, keyword_argument(call, "dtype"))
    return _NUMPY_FROM_PYTHON.get(source, None if source in PYTHON_KINDS else source) if source else None


def numpy_produced(model: SemanticModel, name: str, call: cst.Call) -> str | None:
    """The dtype of a new array from a NumPy producer: its ``dtype=``, or the default the
    library catalogue records for it (float64 for ``np.zeros``, none for ``np.full``)."""
    if keyword_argument(call, "dtype") is not None:
        return numpy_dtype(model, keyword_argument(call, "dtype"))
    entry = catalogue.lookup(name)
    return entry.dtype if entry is not None else None


def tensor_inferred(source: str | None, default_dtype_known: bool) -> str | None:
    """The dtype ``torch.tensor`` gives data of dtype ``source``: NumPy's keeps its own; a
    Python float takes the default dtype (float32, unless the file changes it)."""
    if source is None:
        return None
    if source == "int":
        return "int64"
    if source in ("float", "complex"):
        if not default_dtype_known:
            return None
        return "float32" if source == "float" else "complex64"
    return source  # "bool", or an array's dtype name
