"""The library catalogue (model/catalogue) against the libraries it describes.

Every NumPy and torch entry's ``example`` runs twice: through the value model, which says
what the result is (kind, layout, rank, dtype, grad, placement), and for real, with the
installed numpy and torch; each fact the model states must hold for the real result. An
example that reads ``A`` runs once per operand layout (C-contiguous, transposed, flipped),
since a layout the catalogue records must hold whatever the operand's. Each converter's
``conversion`` runs with a tensor that requires grad, a tensor on the meta device and a
list of the former: a converter raises the error ``Tensor.__array__`` raises, as recorded.
Entries for libraries not installed here must cite their documentation.
"""

from __future__ import annotations

import ast
import inspect
import io
import warnings
from pathlib import Path

import libcst as cst
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import SemanticModel, catalogue
from torchbridge.model.catalogue import Converts, How, libraries, numpy_calls, torch_calls
from torchbridge.model.evaluate import _RESULTS
from torchbridge.model.values import Kind, Layout, Value

TESTED_HERE = ("numpy", "torch")
OPERANDS = {
    "C": "np.zeros((3, 4))",
    "transposed": "np.zeros((4, 3)).T",
    "flipped": "np.zeros((3, 4))[::-1]",
}
GRAD_ERROR = "Can't call numpy() on Tensor that requires grad"
DEVICE_ERROR = "can't convert meta device type tensor to numpy"


class _Probe:
    def __init__(self, model: SemanticModel):
        self.model = model
        self.seen: list[Value] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            self.seen.append(self.model.value_of(node.args[0].value))


def modelled(setup: str, expression: str) -> Value:
    source = f"import io\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\n{setup}probe({expression})\n"
    model = SemanticModel()
    model.track_values = True
    recorder = _Probe(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(source))
    return recorder.seen[0]


def _examples():
    for entry in catalogue.entries():
        if not entry.example:
            continue
        layouts = OPERANDS if "A" in entry.example else {"C": OPERANDS["C"]}
        for layout, operand in layouts.items():
            yield pytest.param(entry, operand, id=f"{entry.name}-{layout}")


def _strides(real) -> tuple[int, ...]:
    return tuple(real.stride()) if isinstance(real, torch.Tensor) else real.strides


def _contiguous(real) -> bool:
    return real.is_contiguous() if isinstance(real, torch.Tensor) else real.flags.c_contiguous


KINDS = {Kind.NDARRAY: np.ndarray, Kind.TENSOR: torch.Tensor, Kind.MODULE: torch.nn.Module,
         Kind.DEVICE: torch.device, Kind.NUMPY_SCALAR: np.generic, Kind.TUPLE: tuple}


@pytest.mark.parametrize(("entry", "operand"), _examples())
def test_what_the_model_says_of_an_example_holds_for_the_real_result(entry, operand, tmp_path):
    npy = tmp_path / "a.npy"
    np.save(npy, np.arange(6.0).reshape(2, 3))
    setup = f"A = {operand}\nW = torch.ones(2, 3, requires_grad=True)\nNPY = {str(npy)!r}\n"
    value = modelled(setup, entry.example)
    assert value.kind is entry.returns, "the example must show the entry's kind"
    namespace = {"np": np, "torch": torch, "F": F, "io": io}
    exec(setup, namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            real = eval(entry.example, namespace)
        except ValueError as error:
            # torch refuses negative strides (TNP102's crash): no result to check.
            assert entry.how is How.FROM_ARRAY and operand == OPERANDS["flipped"]
            assert "negative" in str(error)
            return
    assert isinstance(real, KINDS[value.kind])
    if isinstance(real, tuple) and value.result is not None:
        # What the model says of every element must hold for each (named tuples unpack too).
        assert all(isinstance(element, KINDS[value.result.kind]) for element in real)
        assert all(_holds(value.result, element) for element in real)
        return
    if isinstance(real, torch.nn.Module):
        if value.grad is not None:
            assert any(p.requires_grad for p in real.parameters()) is value.grad
        return
    if not isinstance(real, (np.ndarray, torch.Tensor)):
        return
    if value.ndim is not None:
        assert real.ndim == value.ndim
    if value.dtype is not None:
        assert str(real.dtype).removeprefix("torch.") == value.dtype
    if value.layout is Layout.CONTIGUOUS:
        assert _contiguous(real)
    elif value.layout is Layout.TRANSPOSED:
        assert not _contiguous(real) and min(_strides(real), default=0) >= 0
    elif value.layout is Layout.NEGATIVE:
        assert min(_strides(real)) < 0
    if isinstance(real, torch.Tensor):
        if value.grad is not None:
            assert real.requires_grad is value.grad
        if value.on_device is not None:
            assert (real.device.type != "cpu") is value.on_device
    elif entry.fresh:
        assert real.flags.writeable and not np.shares_memory(real, namespace["A"])


def _conversions():
    for entry in catalogue.entries():
        if entry.conversion:
            yield pytest.param(entry, id=entry.name)


def _run(expression: str, operand) -> BaseException | None:
    namespace = {"np": np, "torch": torch, "io": io, "T": operand}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            eval(expression, namespace)
        except (RuntimeError, TypeError, ValueError) as error:
            return error
    return None


@pytest.mark.parametrize("entry", _conversions())
def test_a_converter_raises_what_tensor_array_raises(entry):
    grad = torch.ones(2, 3, requires_grad=True) * 2
    meta = torch.ones(2, 3, device="meta")
    listed = _run(entry.conversion, [grad, grad])
    assert isinstance(listed, RuntimeError) and GRAD_ERROR in str(listed)
    direct = _run(entry.conversion, grad)
    if entry.converts is Converts.ARRAYS:
        assert isinstance(direct, RuntimeError) and GRAD_ERROR in str(direct)
        on_meta = _run(entry.conversion, meta)
        assert isinstance(on_meta, TypeError) and DEVICE_ERROR in str(on_meta)
    else:
        assert entry.converts is Converts.LISTS
        assert direct is None or GRAD_ERROR not in str(direct)  # the tensor goes to its own method


def test_every_converter_says_which_arguments_it_converts():
    for entry in catalogue.entries():
        assert (entry.converts is Converts.NO) is (not entry.reads), entry.name


def test_numpy_and_torch_entries_run_here_and_the_others_cite_their_documentation():
    for entry in catalogue.entries():
        if entry.name.split(".")[0] in TESTED_HERE:
            assert entry.example or entry.conversion or entry.doc.startswith("https://"), entry.name
        else:
            assert entry.doc.startswith("https://"), f"{entry.name} cites no documentation"
            assert not entry.example and not entry.conversion, "not installed here: nothing to run"


def test_the_data_modules_hold_only_data():
    allowed = (ast.Module, ast.Expr, ast.Constant, ast.ImportFrom, ast.alias, ast.Assign, ast.Name, ast.Load,
               ast.Store, ast.Tuple, ast.Call, ast.keyword, ast.Attribute, ast.Starred, ast.GeneratorExp,
               ast.comprehension, ast.JoinedStr, ast.FormattedValue, ast.BinOp, ast.Add)
    for module in (numpy_calls, torch_calls, libraries):
        tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
        strange = {type(node).__name__ for node in ast.walk(tree) if not isinstance(node, allowed)}
        assert not strange, f"{module.__name__} holds more than records: {strange}"


def test_every_way_of_computing_a_result_has_its_rule():
    assert set(_RESULTS) == set(How)


def test_lookup_by_qualified_name():
    assert catalogue.lookup("numpy.zeros").returns is Kind.NDARRAY
    assert catalogue.lookup("matplotlib.pyplot.plot").converts is Converts.ARRAYS
    assert catalogue.lookup("numpy.not_a_function") is None


def _holds(value: Value, real: torch.Tensor) -> bool:
    """The grad and placement the model states for a tensor are the real tensor's."""
    return (value.grad is None or real.requires_grad is value.grad) and (
        value.on_device is None or (real.device.type != "cpu") is value.on_device)


def test_an_element_of_a_tuple_of_tensors_is_known_a_tensor_without_claiming_its_grad():
    # W requires grad: sort's values do, its indices do not; the model must not say either.
    value = modelled("W = torch.ones(2, 3, requires_grad=True)\n", "torch.sort(W)")
    assert value.kind is Kind.TUPLE and value.result is not None
    assert value.result.kind is Kind.TENSOR and value.result.grad is None
    plain = modelled("V = torch.ones(2, 3)\n", "torch.sort(V)")
    assert plain.result is not None and plain.result.grad is False
    values, indices = torch.sort(torch.ones(2, 3))
    assert not values.requires_grad and not indices.requires_grad
