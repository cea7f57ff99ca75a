"""The value the model gives an expression: ``probe(<expr>)`` in a small module, walked as
the engine walks it. Shared by the value-model tests that check one fact at a time."""

from __future__ import annotations

import libcst as cst

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import SemanticModel
from torchbridge.model.values import Value


class _Recorder:
    def __init__(self, model: SemanticModel):
        self.model = model
        self.seen: list[Value] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            self.seen.append(self.model.value_of(node.args[0].value))


def value_at_probe(body: str, prelude: str) -> Value:
    """The value of the argument of the first ``probe(...)`` call in ``prelude + body``."""
    model = SemanticModel()
    model.track_values = True
    recorder = _Recorder(model)
    dispatcher = Dispatcher([recorder], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(f"{prelude}\n{body}\n"))
    return recorder.seen[0]
