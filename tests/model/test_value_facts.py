"""Values the model learns from tuples of tensors, ``np.ascontiguousarray`` of flipped arrays
and NumPy's object arrays, checked against the installed numpy and torch: every fact the
model states about ``probe(expr)`` must hold for what running the program gives, and the
cases listed as known must be known (so that saying "unknown" everywhere cannot pass)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
from value_probe import value_at_probe

from torchbridge.model.values import Kind, Layout, Value


def modelled(program: str) -> Value:
    return value_at_probe(program, prelude="")


def ran(program: str) -> object:
    seen: list[object] = []
    exec(program, {"probe": seen.append})  # noqa: S102 - the fixed programs below
    (result,) = seen
    return result


def _holds(value: Value, real: object) -> None:
    """Every fact ``value`` states is true of ``real``."""
    if value.kind is Kind.UNKNOWN:
        return
    if value.kind is Kind.TENSOR:
        assert isinstance(real, torch.Tensor)
        if value.grad is not None:
            assert real.requires_grad is value.grad
        if value.on_device is not None:
            assert (real.device.type != "cpu") is value.on_device
    elif value.kind is Kind.NDARRAY:
        assert isinstance(real, np.ndarray)
        if value.layout is Layout.NEGATIVE:
            assert min(real.strides) < 0
        elif value.layout is Layout.CONTIGUOUS:
            assert real.flags.c_contiguous and min(real.strides, default=0) >= 0
        elif value.layout is Layout.TRANSPOSED:
            assert not real.flags.c_contiguous and min(real.strides) >= 0
        if value.ndim is not None:
            assert real.ndim == value.ndim
        if value.zero_strides:
            assert set(real.strides) <= {0}
        if value.dtype is not None:
            assert str(real.dtype) == value.dtype
    elif value.kind is Kind.TUPLE:
        assert isinstance(real, tuple)
        if value.result is not None:
            for element in real:
                _holds(value.result, element)


HEADER = "import numpy as np\nimport torch\nW = torch.ones(3, 3, requires_grad=True)\nV = torch.ones(3, 3)\n"

# program (after HEADER) -> the kind (and layout for arrays) the model must prove, or None
# where it must say no more than is true (and may say unknown).
CASES: dict[str, tuple[Kind, Layout | None] | None] = {
    # Unpacking a tuple of tensors: each name is a tensor.
    "values, vectors = torch.linalg.eigh(W @ W.T)\nprobe(vectors)": (Kind.TENSOR, None),
    "hist, edges = torch.histogram(V.flatten())\nprobe(edges)": (Kind.TENSOR, None),
    "top, where = torch.topk(W, 2)\nprobe(where)": (Kind.TENSOR, None),
    "low, high = V.aminmax()\nprobe(high)": (Kind.TENSOR, None),
    "best, at = W.max(1)\nprobe(at)": (Kind.TENSOR, None),
    "best, at = W.max(dim=-1)\nprobe(best)": (Kind.TENSOR, None),
    "probe(W.max())": (Kind.TENSOR, None),
    "probe(W.max(V))": None,  # the elementwise maximum: a tensor, but not a tuple
    "head, tail = W.split(2)\nprobe(tail)": (Kind.TENSOR, None),
    "a, b, c = torch.unbind(V)\nprobe(b)": (Kind.TENSOR, None),
    "part, *rest = torch.unbind(V)\nprobe(rest)": None,  # a starred target takes a list
    "x, y = [1, 2]\nprobe(x)": None,
    "a, b = [W * 2 for _ in range(2)]\nprobe(b)": (Kind.TENSOR, None),
    # A list in a name may have grown since it was made: its elements are not followed.
    "xs = [V, V]\nxs.append(np.zeros(3))\na, b, c = xs\nprobe(c)": None,
    # np.ascontiguousarray of a flip: a flipped length-1 axis keeps its negative stride.
    "probe(np.ascontiguousarray(np.zeros((1, 10, 20))[::-1]))": (Kind.NDARRAY, Layout.NEGATIVE),
    "a = np.zeros((1, 10, 20))[::-1]\nb = np.ascontiguousarray(a)\nprobe(b)": (Kind.NDARRAY, Layout.NEGATIVE),
    "probe(np.ascontiguousarray(np.zeros((1, 1, 20))[::-1, ::-1]))": (Kind.NDARRAY, Layout.NEGATIVE),
    "probe(np.ascontiguousarray(np.ones(1)[::-1]))": (Kind.NDARRAY, Layout.NEGATIVE),
    "probe(np.ascontiguousarray(np.zeros((1, 10, 20))[:, ::-1]))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.ascontiguousarray(np.zeros((2, 10))[::-1]))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.ascontiguousarray(np.zeros((1, 10, 20))[::-1, ::-1]))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.ascontiguousarray(np.zeros((1, 10, 20), order='F')[::-1]))": (Kind.NDARRAY, None),
    "probe(np.ascontiguousarray(np.zeros((1, 10, 20))[::-2]))": (Kind.NDARRAY, None),
    "probe(np.ascontiguousarray(np.zeros((0, 1))[:, ::-1]))": (Kind.NDARRAY, None),
    "n = 1\nprobe(np.ascontiguousarray(np.zeros((n, 10))[::-1]))": (Kind.NDARRAY, None),
    "probe(np.ascontiguousarray(np.zeros((3, 4)).T))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    # NumPy's element-wise functions give what its operators do: the operand's memory order.
    "a = np.zeros((4, 3)).T\nprobe(np.divide(a, 255))": (Kind.NDARRAY, Layout.TRANSPOSED),
    "a = np.zeros((4, 3, 2)).transpose(2, 0, 1)\nprobe(np.clip(a, 0, 1))": (Kind.NDARRAY, Layout.TRANSPOSED),
    "probe(np.subtract(np.zeros((2, 3)), np.ones((2, 3))))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.sqrt(np.zeros((2, 3))[::-1]))": (Kind.NDARRAY, None),  # positive strides again
    "probe(np.sqrt(np.zeros(())))": None,  # a NumPy scalar
    "probe(np.sqrt(4.0))": None,
    "probe(np.maximum([1, 2], 0))": None,
    "probe(np.divide(np.zeros((2, 3)), 2, out=np.empty((3, 2)).T))": None,  # out= is the result
    "probe(np.add(np.zeros((3, 3)), V))": None,
    # A factory's order: C unless order= says otherwise (then a .T of it may be C-contiguous).
    "probe(np.zeros((3, 4), order='C'))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.zeros((3, 4), order='F'))": (Kind.NDARRAY, None),
    "probe(np.ones((3, 4), np.float32, 'F').T)": (Kind.NDARRAY, None),
    "probe(np.full((3, 4), 7, order='F').T)": (Kind.NDARRAY, None),
    "probe(np.ascontiguousarray([[1, 2], [3, 4]]))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    # A new array with a zero-length axis has all-zero strides; its flips keep them.
    "probe(np.zeros((0, 3))[::-1])": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.flip(np.empty(0)))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.ones((2, 0, 4))[:, ::-1][..., ::-2].T[::-1])": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "probe(np.rot90(np.full((3, 0), 7.0)))": (Kind.NDARRAY, Layout.CONTIGUOUS),
    "a = np.zeros(shape=[5, 0])\nb = a[:, ::-1]\nprobe(b[1:])": (Kind.NDARRAY, Layout.CONTIGUOUS),
    # An empty view of a non-empty array keeps its strides; a size not written out is not known.
    "probe(np.zeros((4, 3))[::-1][2:2])": (Kind.NDARRAY, Layout.NEGATIVE),
    "probe(np.zeros((4, 3))[2:2][:, ::-1])": (Kind.NDARRAY, Layout.NEGATIVE),
    "n = 2\nprobe(np.zeros((n, 3))[::-1])": (Kind.NDARRAY, Layout.NEGATIVE),
    "probe(np.zeros((0, 3), order='F')[::-1])": (Kind.NDARRAY, None),
}


@pytest.mark.parametrize("program", list(CASES))
def test_the_model_claims_only_what_runs(program: str) -> None:
    text = HEADER + textwrap.dedent(program) + "\n"
    value = modelled(text)
    _holds(value, ran(text))
    expected = CASES[program]
    if expected is not None:
        kind, layout = expected
        assert value.kind is kind, f"the model should know a {kind.value}"
        if layout is not None:
            assert value.layout is layout, f"the model should know the layout {layout.value}"


@pytest.mark.parametrize("array", [np.zeros((0, 3))[::-1], np.flip(np.ones((2, 0))), np.empty(0)[::-1]])
def test_torch_takes_the_flip_of_a_new_empty_array(array: np.ndarray) -> None:
    assert set(array.strides) == {0}
    assert torch.from_numpy(array).shape == array.shape


def test_torch_refuses_an_empty_view_of_a_flipped_array() -> None:
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(np.zeros((4, 3))[::-1][2:2])


def test_the_flip_of_a_length_1_axis_made_contiguous_still_crashes_torch():
    # numpy#23349, the fact behind the NEGATIVE cases above: from_numpy refuses the result.
    kept = np.ascontiguousarray(np.zeros((1, 10, 20))[::-1])
    with pytest.raises(ValueError, match="negative"):
        torch.from_numpy(kept)
