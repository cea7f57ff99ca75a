"""What the model says each item of a list comprehension is (``model/comprehensions``),
asked where the comprehension is written, checked against running the program with the
installed torch: every fact stated must hold for each item, and the cases listed as known
must be known (so that saying "unknown" everywhere cannot pass)."""

from __future__ import annotations

import textwrap

import libcst as cst
import numpy as np
import pytest
import torch

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import SemanticModel
from torchbridge.model.lists import element_value
from torchbridge.model.values import Kind, Value


class _Recorder:
    def __init__(self, model: SemanticModel):
        self.model = model
        self.seen: list[Value] = []

    def visit_Call(self, node: cst.Call) -> None:
        if type(node.func) is cst.Name and node.func.value == "probe":
            self.seen.append(element_value(self.model, node.args[0].value))


def modelled(program: str) -> Value:
    """What the model says every element of the argument of ``probe(...)`` is."""
    model = SemanticModel()
    model.track_values = True
    recorder = _Recorder(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(program))
    (value,) = recorder.seen
    return value


def ran(program: str) -> list[object]:
    seen: list[list[object]] = []
    exec(program, {"probe": seen.append})  # noqa: S102 - the fixed programs below
    (items,) = seen
    return items


_PROGRAMS = {
    "appended-losses-scaled": ("""
        import torch
        w = torch.randn(3, requires_grad=True)
        def f():
            losses = []
            for _ in range(3):
                losses.append((w ** 2).sum())
            probe([loss * 2 for loss in losses])
        f()
        """, (Kind.TENSOR, True)),
    "rows-of-an-output": ("""
        import torch
        def f():
            out = torch.nn.Linear(4, 2)(torch.randn(3, 4))
            probe([row for row in out])
        f()
        """, (Kind.TENSOR, True)),
    "zip-position": ("""
        import torch
        def f():
            ws = [torch.ones(2, requires_grad=True), torch.zeros(2, requires_grad=True)]
            probe([w.sum() for n, w in zip(["a", "b"], ws)])
        f()
        """, (Kind.TENSOR, True)),
    "enumerate-position": ("""
        import torch
        def f():
            ws = [torch.ones(2, requires_grad=True), torch.zeros(2, requires_grad=True)]
            probe([w * 3 for i, w in enumerate(ws)])
        f()
        """, (Kind.TENSOR, True)),
    "under-no-grad": ("""
        import torch
        layer = torch.nn.Linear(4, 2)
        def f():
            with torch.no_grad():
                probe([layer(x) for x in torch.randn(3, 5, 4)])
        f()
        """, (Kind.TENSOR, False)),
    "item-is-a-float": ("""
        import torch
        w = torch.randn(3, requires_grad=True)
        def f():
            losses = []
            for _ in range(3):
                losses.append((w ** 2).sum())
            probe([loss.item() for loss in losses])
        f()
        """, None),
    "inner-loop-over-outer-variable": ("""
        import torch
        w = torch.randn(3, requires_grad=True)
        def f():
            groups = [[w * 2], [w * 3]]
            probe([x for group in groups for x in group])
        f()
        """, None),
    "elements-changed-in-place-by-a-comprehension": ("""
        import torch
        w = torch.randn(3, requires_grad=True)
        def f():
            losses = []
            for _ in range(3):
                losses.append((w ** 2).sum())
            [loss.detach_() for loss in losses]
            probe([loss * 2 for loss in losses])
        f()
        """, None),
    "parameter-unknown": ("""
        import torch
        def f(outputs):
            probe([o * 2 for o in outputs])
        f([torch.ones(2)])
        """, None),
}


@pytest.mark.parametrize("name", sorted(_PROGRAMS))
def test_every_stated_fact_holds_for_each_item(name: str) -> None:
    source, known = _PROGRAMS[name]
    program = textwrap.dedent(source)
    value = modelled(program)
    for item in ran(program):
        if value.kind is Kind.TENSOR:
            assert isinstance(item, torch.Tensor)
            if value.grad is not None:
                assert item.requires_grad is value.grad
            if value.on_device is not None:
                assert (item.device.type != "cpu") is value.on_device
    if known is None:
        assert value.kind is Kind.UNKNOWN
    else:
        assert (value.kind, value.grad) == known


def test_a_name_the_comprehension_binds_hides_the_outer_one_only_inside_it() -> None:
    program = textwrap.dedent("""
        import torch
        w = torch.randn(3, requires_grad=True)
        def f():
            x = torch.zeros(3)
            probe([x for x in w * 2])
            return x
        f()
        """)
    assert (modelled(program).kind, modelled(program).grad) == (Kind.TENSOR, True)
    # after the question the function's own ``x`` is still the zeros (the scope was left)
    model = SemanticModel()
    model.track_values = True
    seen: list[Value] = []

    class AfterProbe:
        def visit_Return(self, node: cst.Return) -> None:
            assert node.value is not None
            seen.append(model.value_of(node.value))

    dispatcher = Dispatcher([_Recorder(model), AfterProbe()], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(program))
    assert seen[0].kind is Kind.TENSOR and seen[0].grad is False


def test_the_rows_of_a_1d_array_are_not_arrays() -> None:
    program = textwrap.dedent("""
        import numpy as np
        def f():
            a = np.zeros(3)
            probe([x for x in a])
            b = np.zeros((3, 2))
            probe([x for x in b])
        f()
        """)
    model = SemanticModel()
    model.track_values = True
    recorder = _Recorder(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(program))
    flat, rows = recorder.seen
    seen: list[list[object]] = []
    exec(program, {"probe": seen.append})  # noqa: S102 - the fixed program above
    assert flat.kind is Kind.UNKNOWN and not any(isinstance(x, np.ndarray) for x in seen[0])
    assert rows.kind is Kind.NDARRAY and all(isinstance(x, np.ndarray) for x in seen[1])
