"""NumPy's subscripts and operators as the value model sees them (model/ndarray_ops.py),
checked against the installed NumPy: every fact the model claims about ``probe(expr)`` must
hold for the array that running the program gives, and the cases listed as known must be
known (so that the model cannot pass by saying "unknown" everywhere)."""

from __future__ import annotations

import libcst as cst
import numpy as np
import pytest

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import SemanticModel
from torchbridge.model.values import Kind, Layout, Value

SETUP = """
import numpy as np
a = np.zeros((4, 5, 6))
m = np.zeros((3, 4))
t = a.transpose(2, 0, 1)
f = a[::-1]
i = 1
j = (1, 2)
images = np.stack([a, a])
o = np.empty((3, 3), dtype=object)  # o[1, 2] is None
s = np.stack([m, m])
z = np.zeros((0, 3))
"""

# expression -> (kind, layout, ndim) the model must prove; None: the model must not claim more
# than NumPy shows (checked for every case), and may say unknown.
CASES: dict[str, tuple[Kind, Layout, int | None] | None] = {
    "a[0]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[0, :]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[0, :, :]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[i]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[1:]": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "a[0, 1:3]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[0, ...]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a[None]": (Kind.NDARRAY, Layout.CONTIGUOUS, 4),
    "a[:, None]": (Kind.NDARRAY, Layout.CONTIGUOUS, 4),
    "a[:, 0]": (Kind.NDARRAY, Layout.UNKNOWN, 2),
    "a[:, 1:]": (Kind.NDARRAY, Layout.UNKNOWN, 3),
    "a[..., 0]": (Kind.NDARRAY, Layout.UNKNOWN, 2),
    "a[::2]": (Kind.NDARRAY, Layout.UNKNOWN, 3),
    "a[::-1]": (Kind.NDARRAY, Layout.NEGATIVE, 3),
    "a[0][:, ::-1]": (Kind.NDARRAY, Layout.NEGATIVE, 2),
    "a[0, ::-1]": (Kind.NDARRAY, Layout.NEGATIVE, 2),
    "a[..., ::-1]": (Kind.NDARRAY, Layout.NEGATIVE, 3),
    "images[0][:, ::-1]": (Kind.NDARRAY, Layout.NEGATIVE, None),
    "f[1:]": (Kind.NDARRAY, Layout.NEGATIVE, 3),
    "f[0]": (Kind.NDARRAY, Layout.UNKNOWN, 2),  # the flipped axis picked away: C-contiguous
    "f[:, 0]": (Kind.NDARRAY, Layout.UNKNOWN, 2),
    "f[::-1]": (Kind.NDARRAY, Layout.UNKNOWN, 3),
    "t[0]": (Kind.NDARRAY, Layout.UNKNOWN, 2),
    # Of an array whose dtype the code shows, any index gives an ndarray or a NumPy scalar.
    "a[0, 1, 2]": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),  # a NumPy scalar
    "m[0, 1]": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),
    "a[[0, 1]]": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),  # fancy: a copy
    "a[a > 0]": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),
    "a[j]": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),  # an index unknown: a tuple, a mask...
    "a[j] / 255": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),
    "m[0, 1] / 255": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),
    "o[j]": None,  # an array of objects holds anything
    "s[j]": None,  # a stack's dtype is not shown
    "images[0]": None,  # rank unknown: a row, or a scalar of a 1-d array
    "a / 255": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "a - a.mean()": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "255 * a": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "-a": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "a ** 2": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "a - [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]": (Kind.NDARRAY, Layout.CONTIGUOUS, None),
    "a + a": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "m.T / 255": (Kind.NDARRAY, Layout.TRANSPOSED, 2),
    "t * 2": (Kind.NDARRAY, Layout.TRANSPOSED, 3),
    "-t": (Kind.NDARRAY, Layout.TRANSPOSED, 3),
    "f / 255": (Kind.NDARRAY, Layout.UNKNOWN, 3),  # positive strides again
    "a[:, 1:] * 2": (Kind.NDARRAY, Layout.UNKNOWN, 3),
    "t + a.transpose(2, 0, 1)": (Kind.NDARRAY, Layout.UNKNOWN, 3),
    "a.sum() / 2": None,
    "a.reshape(20, 6)": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a.reshape((20, 6))": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "a.reshape(-1)": (Kind.NDARRAY, Layout.CONTIGUOUS, 1),
    "a.reshape(i, -1, 2)": (Kind.NDARRAY, Layout.CONTIGUOUS, 3),
    "a[0].reshape(-1)": (Kind.NDARRAY, Layout.CONTIGUOUS, 1),
    "a.reshape(20, 6, order='F')": (Kind.NDARRAY, Layout.UNKNOWN, 2),
    "t.reshape(6, 4, 5)": (Kind.NDARRAY, Layout.UNKNOWN, 3),  # a view that keeps the transposed strides
    "t.reshape(6, 20)": (Kind.NDARRAY, Layout.UNKNOWN, 2),  # still a view: the merged axes are adjacent in memory
    "f.reshape(4, 30)": (Kind.NDARRAY, Layout.UNKNOWN, 2),  # a view with the flipped axis
    "np.flip(a.reshape(20, 6), 0)": (Kind.NDARRAY, Layout.NEGATIVE, 2),
    # A new empty array has all-zero strides, and so has every copy of it or result computed
    # from it: its flips are no negative strides (torch.from_numpy takes them).
    "z[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "(z / 2)[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "(z + a[0, :1, :3])[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "z.astype(np.float32)[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "z.astype(np.float64, copy=False)[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "np.array(z)[:, ::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "z.copy()[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 2),
    "z.flatten()[::-1]": (Kind.NDARRAY, Layout.CONTIGUOUS, 1),
    # astype(its own dtype, copy=False) is the array itself, flipped strides included.
    "f.astype(np.float64, copy=False)": (Kind.NDARRAY, Layout.NEGATIVE, 3),
    "f.astype(np.float32, copy=False)": (Kind.NDARRAY, Layout.UNKNOWN, 3),  # a copy, strides positive
    "f[0][j]": (Kind.ARRAY_OR_SCALAR, Layout.UNKNOWN, None),  # a view keeps the dtype
}


def _layout(array: object) -> tuple[Kind, Layout, int | None]:
    if not isinstance(array, np.ndarray) or array.ndim == 0:
        return Kind.NUMPY_SCALAR, Layout.UNKNOWN, None
    if any(s < 0 for s in array.strides):
        return Kind.NDARRAY, Layout.NEGATIVE, array.ndim
    if array.flags.c_contiguous:
        return Kind.NDARRAY, Layout.CONTIGUOUS, array.ndim
    if array.flags.forc or _dense(array):
        return Kind.NDARRAY, Layout.TRANSPOSED, array.ndim
    return Kind.NDARRAY, Layout.UNKNOWN, array.ndim


def _dense(array: np.ndarray) -> bool:
    """Positive strides that cover the memory without gaps, in some axis order."""
    order = sorted(range(array.ndim), key=lambda axis: array.strides[axis])
    expected = array.itemsize
    for axis in order:
        if array.shape[axis] != 1 and array.strides[axis] != expected:
            return False
        expected *= array.shape[axis]
    return True


class _Recorder:
    def __init__(self, model: SemanticModel) -> None:
        self.model = model
        self.values: list[Value] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            self.values.append(self.model.value_of(node.args[0].value))


def model_value(expression: str) -> Value:
    model = SemanticModel()
    model.track_values = True
    recorder = _Recorder(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(SETUP + f"probe({expression})\n"))
    (value,) = recorder.values
    return value


def numpy_value(expression: str) -> object:
    scope: dict[str, object] = {}
    exec(SETUP, scope)  # noqa: S102 - the fixed program above
    return eval(expression, scope)  # noqa: S307


@pytest.mark.parametrize("expression", list(CASES))
def test_the_model_claims_only_what_numpy_does(expression: str) -> None:
    value = model_value(expression)
    kind, layout, ndim = _layout(numpy_value(expression))
    if value.kind is Kind.UNKNOWN:
        assert CASES[expression] is None, f"{expression}: the model should know {CASES[expression]}"
        return
    if value.kind is Kind.ARRAY_OR_SCALAR:
        assert kind in (Kind.NDARRAY, Kind.NUMPY_SCALAR)
        assert CASES[expression] == (value.kind, value.layout, value.ndim)
        return
    assert value.kind is kind
    if value.layout is not Layout.UNKNOWN:
        assert value.layout is layout
    if value.ndim is not None:
        assert value.ndim == ndim
    assert CASES[expression] == (value.kind, value.layout, value.ndim)
