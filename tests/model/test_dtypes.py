"""The dtype facts of the value model (model/dtypes.py): what the code shows of a value's
dtype, and what ``torch.tensor`` infers from it. Each expected dtype was checked by running
the expression with torch 2.13.0+cpu and numpy 2.4.6."""

from __future__ import annotations

import libcst as cst
import pytest

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import SemanticModel


class _Recorder:
    def __init__(self, model: SemanticModel):
        self.model = model
        self.seen: list[str | None] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            self.seen.append(self.model.value_of(node.args[0].value).dtype)


def dtype_of(expression: str, *, prelude: str = "", default_dtype_set: bool = False) -> str | None:
    source = f"import numpy as np\nimport torch\n{prelude}probe({expression})\n"
    model = SemanticModel()
    model.track_values = True
    model.sets_default_dtype = default_dtype_set
    recorder = _Recorder(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(source))
    return recorder.seen[0]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # torch.tensor of Python literals: ints int64, floats the default dtype, bools bool
        ("torch.tensor([3, 1, 2])", "int64"),
        ("torch.tensor([[10, 13], [16, 30]])", "int64"),
        ("torch.tensor([0.5, 1.0])", "float32"),
        ("torch.tensor([1, 2.0])", "float32"),
        ("torch.tensor([True, 1])", "int64"),
        ("torch.tensor([True, False])", "bool"),
        ("torch.tensor([1j])", "complex64"),
        ("torch.tensor([])", "float32"),
        ("torch.tensor(-1.5)", "float32"),
        ("torch.tensor(5)", "int64"),
        ("torch.tensor([3, 1], dtype=torch.long)", "int64"),
        ("torch.tensor([3, 1], dtype=torch.float)", "float32"),
        # NumPy producers that name or imply their dtype
        ("torch.tensor(np.zeros(3))", "float64"),
        ("torch.tensor(np.random.rand(3, 4))", "float64"),
        ("torch.tensor(np.loadtxt('a.txt'))", "float64"),
        ("torch.tensor(np.zeros(3, dtype=np.float32))", "float32"),
        ("torch.tensor(np.zeros(3).astype(np.float16))", "float16"),
        ("torch.tensor(np.zeros(3).astype('float32'))", "float32"),
        ("torch.tensor(np.array([1.5, 2]))", "float64"),
        ("torch.tensor(np.array([1.5, 2], dtype=np.float32))", "float32"),
        ("np.zeros(3).copy()", "float64"),
    ],
)
def test_shown_dtypes(expression, expected):
    assert dtype_of(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "torch.tensor(values)",  # a parameter, a name never bound: not shown
        "torch.tensor(np.load('a.npy'))",  # a file's dtype
        "torch.tensor(np.array([1, 2]))",  # NumPy's default int is int32 on Windows under NumPy 1
        "torch.tensor(np.arange(3))",  # the same
        "torch.tensor(np.full(3, 7))",  # the fill value's kind
        "torch.tensor(np.zeros(3).astype(int))",  # platform-sized again
        "torch.tensor([1, x])",  # one element unknown
    ],
)
def test_dtypes_not_shown_are_unknown(expression):
    assert dtype_of(expression) is None


def test_a_file_that_sets_the_default_dtype_leaves_python_floats_unknown():
    assert dtype_of("torch.tensor([0.5])", default_dtype_set=True) is None
    assert dtype_of("torch.tensor([1, 2])", default_dtype_set=True) == "int64"  # ints are not affected


def test_dtypes_follow_bindings_and_joins():
    assert dtype_of("torch.tensor(a)", prelude="a = np.random.rand(3)\n") == "float64"
    joined = "if c:\n    a = np.zeros(3)\nelse:\n    a = np.zeros(3, dtype=np.float32)\n"
    assert dtype_of("torch.tensor(a)", prelude=joined) is None
