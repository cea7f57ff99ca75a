"""What a value is: its kind (ndarray, tensor, list...) and, for arrays and tensors, what
they are like (layout, grad, placement).

The facts come from a forward flow: each assignment stores the value of its right-hand side
in the binding, branches join (``Value.join``: facts that differ become unknown), and names
a loop rebinds are unknown at the loop's head. Unknown is a first-class answer; a rule
reports only what a value is proven to be. The return kinds of NumPy and torch calls are
data, in ``returns.py``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst


class Kind(enum.Enum):
    NDARRAY = "ndarray"
    NUMPY_SCALAR = "numpy scalar"
    # One or the other, which only the data decides: an h5py dataset read at an integer is a row
    # (an ndarray) of a dataset of two or more dimensions and a NumPy scalar of a 1-d one.
    # A consumer that raises on a NumPy scalar (a legacy constructor) sees an ndarray wherever it runs.
    ARRAY_OR_SCALAR = "ndarray or NumPy scalar"
    TENSOR = "tensor"
    LIST = "list"
    TUPLE = "tuple"
    DICT = "dict"
    MODULE = "nn.Module"
    FUNCTION = "function"
    DEVICE = "device"
    DTYPE = "dtype"
    NUMBER = "number"  # a Python int or float literal
    # Library objects that hold arrays (``array_sources``): what reading an array out of them gives.
    DATAFRAME = "pandas DataFrame"
    PANDAS = "pandas DataFrame or Series"  # df["col"]: a Series, or a DataFrame under duplicate labels
    HDF5 = "h5py object"  # a File, Group or Dataset: h5["x"] may be any of them
    PIL_IMAGE = "PIL image"  # np.asarray of one is read-only (``read_only``)
    UNKNOWN = "unknown"


class Layout(enum.Enum):
    CONTIGUOUS = "contiguous"
    TRANSPOSED = "transposed"  # dense, positive strides, not C-contiguous
    NEGATIVE = "negative strides"  # at least one stride < 0: torch raises ValueError
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Value:
    kind: Kind = Kind.UNKNOWN
    layout: Layout = Layout.UNKNOWN  # arrays, and tensors made from them
    ndim: int | None = None
    grad: bool | None = None  # tensors: requires grad (outside no_grad)
    on_device: bool | None = None  # tensors: True moved to an accelerator, False on the CPU
    result: Value | None = None  # callables (functions, modules): what calling them gives
    # Tuples: the value at each position, where known (``return image, hist``; ``a, b = f()``).
    items: tuple[Value, ...] | None = None
    dtype: str | None = None  # a dtype the code shows (``dtypes``): "float64", or a Python kind "int"
    # Arrays: True when NumPy made it non-writeable (``np.frombuffer`` of bytes, ``np.broadcast_to``,
    # a read-only memory map, ``setflags(write=False)``...: ``read_only.py``), False when made writeable.
    readonly: bool | None = None
    # Arrays: a view of memory a library object owns (a DataFrame's ``.values``), writeable or not
    # depending on the library's version (pandas 3's copy-on-write hands out read-only views):
    # a copy of it is deliberate.
    borrowed: bool = False
    # Arrays: every stride is 0. NumPy gives a new array with a zero-length axis
    # (``np.zeros((0, 3))``) all-zero strides, and basic indexing, flips and transposes of it
    # keep them, so its "flips" have no negative stride and ``torch.from_numpy`` takes them.
    # An empty view of a non-empty array keeps its strides (``a[::-1][2:2]`` is still negative).
    zero_strides: bool = False
    # The node that established the interesting fact (a flip, a transpose, a .cuda()): its
    # line goes into the message so that a reader can judge the finding.
    evidence: cst.CSTNode | None = field(default=None, repr=False, compare=False)

    def join(self, other: Value) -> Value:
        """The value after two paths meet: what both paths agree on."""
        if self == other:
            return self
        if self.kind is not other.kind:
            return UNKNOWN
        return Value(
            kind=self.kind,
            layout=self.layout if self.layout is other.layout else Layout.UNKNOWN,
            ndim=self.ndim if self.ndim == other.ndim else None,
            grad=self.grad if self.grad == other.grad else None,
            on_device=self.on_device if self.on_device == other.on_device else None,
            result=self.result.join(other.result) if self.result and other.result else None,
            items=tuple(a.join(b) for a, b in zip(self.items, other.items))
            if self.items is not None and other.items is not None and len(self.items) == len(other.items) else None,
            dtype=self.dtype if self.dtype == other.dtype else None,
            readonly=self.readonly if self.readonly == other.readonly else None,
            borrowed=self.borrowed or other.borrowed,  # it silences: one path that borrows is enough
            zero_strides=self.zero_strides and other.zero_strides,
            evidence=self.evidence if self.evidence is not None else other.evidence,
        )

    def but(self, **changes: Any) -> Value:
        return replace(self, **changes)


UNKNOWN = Value()


def join_all(values: list[Value] | None) -> Value:
    """What every one of ``values`` (the values on several paths) agrees on; unknown for none."""
    if not values:
        return UNKNOWN
    result = values[0]
    for other in values[1:]:
        result = result.join(other)
    return result
NDARRAY = Value(Kind.NDARRAY)
TENSOR = Value(Kind.TENSOR)
NUMBER = Value(Kind.NUMBER)
