"""Library objects that hold arrays: pandas DataFrames and Series, h5py files, groups and
datasets. What reading an array out of one gives.

The catalogue records the calls that make these objects (``pd.read_csv`` returns a
DataFrame, ``h5py.File`` an h5py object); this module answers for their attributes,
methods and subscripts, which the catalogue cannot, since it knows calls by name only.
Measured with pandas 3.1.1, h5py 3.16 and NumPy 2.4 in a separate environment (neither
library is a dependency; docs/array-sources.md has the table):

- ``df.values`` and ``df.to_numpy()`` of a DataFrame are ndarrays that share the frame's
  memory. A frame of one block gives a Fortran-ordered view, a mixed frame a new array, and
  pandas 3's copy-on-write makes the view read-only where pandas 2 left it writeable: the
  layout is unknown and the array is *borrowed* (copying it is deliberate, so TNP101 does not
  ask to share it). ``to_numpy(copy=True)`` is a writeable copy, still Fortran-ordered.
- A Series' ``to_numpy()`` is an ndarray. Its ``.values`` is not always one (a Categorical,
  or an IntegerArray for the nullable dtypes): unknown.
- ``df["col"]`` is a Series, or a DataFrame when the label is repeated; ``df[["a", "b"]]``
  a DataFrame. Methods that return a new frame (``dropna``, ``astype``...) return a
  DataFrame unless ``inplace=`` is passed (then None).
- ``h5["x"]`` is a Group or a Dataset. Any read of a Dataset with a slice or an Ellipsis in
  the index (``[:]``, ``[a:b]``, ``[...]``, ``[i, :, 1]`` whatever ``i`` is) is a new,
  writeable, C-ordered ndarray; the same subscript of a Group raises TypeError, so an
  ndarray is the only result that runs. An index without one (``ds[0]``, ``ds[()]``) may
  give a NumPy scalar: unknown, except that an index proven a number (``ds[0]``,
  ``ds[i // n]``: a group raises on anything but a name) gives an ndarray or a NumPy scalar
  (``Kind.ARRAY_OR_SCALAR``; measured with h5py 3.16 in this environment). ``h5py.File`` returns itself on ``with``.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from .names import keyword_argument, literal_bool, string_value
from .values import UNKNOWN, Kind, Layout, Value

KINDS = frozenset({Kind.DATAFRAME, Kind.PANDAS, Kind.HDF5, Kind.PIL_IMAGE})

# PIL.Image.Image methods that return a new image (Pillow's Image reference).
IMAGE_METHODS = frozenset({"convert", "resize", "rotate", "crop", "transpose", "copy", "filter", "quantize", "reduce"})
# DataFrame methods that return a new DataFrame, or None with ``inplace=True``.
_FRAME_METHODS = frozenset({
    "astype", "copy", "drop", "dropna", "drop_duplicates", "fillna", "head", "tail", "sample",
    "reset_index", "rename", "replace", "select_dtypes", "sort_values", "sort_index", "set_index",
})


def attribute(base: Value, name: str, node: cst.Attribute) -> Value:
    """``df.values``: the frame's memory as an ndarray."""
    if base.kind is Kind.DATAFRAME and name == "values":
        return Value(Kind.NDARRAY, borrowed=True, evidence=node)
    return UNKNOWN


def method(receiver: Value, name: str, call: cst.Call) -> Value:
    """``df.to_numpy()``, ``s.to_numpy()``, ``df.dropna()``."""
    if receiver.kind in (Kind.DATAFRAME, Kind.PANDAS) and name == "to_numpy":
        copied = keyword_argument(call, "copy")
        return Value(Kind.NDARRAY, borrowed=not (copied is not None and literal_bool(copied) is True), evidence=call)
    if receiver.kind is Kind.DATAFRAME and name in _FRAME_METHODS and keyword_argument(call, "inplace") is None:
        return Value(Kind.DATAFRAME)
    if receiver.kind is Kind.PIL_IMAGE and name in IMAGE_METHODS:
        return Value(Kind.PIL_IMAGE)
    return UNKNOWN


def subscript(base: Value, slices: Sequence[cst.BaseSlice], numeric: Sequence[bool] = ()) -> Value:
    """``df["a"]``, ``df[["a", "b"]]``, ``h5["x"]``, ``h5["x"][:]``, ``h5["x"][i // n]``.
    ``numeric[i]``: index ``i`` is proven a number, never a name (``evaluate._is_number_index``)."""
    labelled = len(slices) == 1 and isinstance(slices[0], cst.Index)
    if base.kind is Kind.DATAFRAME and labelled:
        columns = cst.ensure_type(slices[0], cst.Index).value
        if string_value(columns) is not None:
            return Value(Kind.PANDAS)
        if type(columns) is cst.List and columns.elements and all(
                string_value(e.value) is not None for e in columns.elements):
            return Value(Kind.DATAFRAME)
        return UNKNOWN
    if base.kind is Kind.HDF5 and labelled and string_value(cst.ensure_type(slices[0], cst.Index).value) is not None:
        return Value(Kind.HDF5)
    if base.kind is Kind.HDF5 and _reads_dataset(slices):
        return Value(Kind.NDARRAY, Layout.CONTIGUOUS, readonly=False)
    if base.kind is Kind.HDF5 and slices and len(numeric) == len(slices) and all(numeric):
        # A group raises on any index but a name; a dataset read at numbers gives a row or a NumPy scalar.
        return Value(Kind.ARRAY_OR_SCALAR)
    return UNKNOWN


def entered(value: Value) -> Value:
    """What ``with <value> as f`` binds: an h5py File and a PIL image return themselves."""
    return value if value.kind in (Kind.HDF5, Kind.PIL_IMAGE) else UNKNOWN


def _reads_dataset(slices: Sequence[cst.BaseSlice]) -> bool:
    """A slice or an Ellipsis anywhere in the index: whatever the other items are (integers,
    lists, masks), a read that succeeds has at least one dimension, or is ``ds[...]``."""
    return any(type(piece) is cst.Slice or (type(piece) is cst.Index and type(piece.value) is cst.Ellipsis)
               for piece in slices)
