"""What a list built by appending holds (``model.lists``), and that a scope's occurrences of
a list are read once for all the questions asked about it."""

from __future__ import annotations

import libcst as cst
import pytest

from torchbridge.engine.walk import Dispatcher
from torchbridge.model import SemanticModel, lists
from torchbridge.model.values import Kind, Value


class _Asker:
    """Asks ``element_value`` of the argument of every ``probe(...)``, ``times`` times each."""

    def __init__(self, model: SemanticModel, times: int) -> None:
        self.model = model
        self.times = times
        self.seen: list[Value] = []

    def visit_Call(self, node: cst.Call) -> None:
        if type(node.func) is cst.Name and node.func.value == "probe":
            for _ in range(self.times):
                self.seen.append(lists.element_value(self.model, node.args[0].value))


def _elements(source: str, times: int = 1) -> list[Kind]:
    model = SemanticModel()
    model.track_values = True
    asker = _Asker(model, times)
    dispatcher = Dispatcher([asker], model.traversals())
    model.walk = dispatcher.walk
    dispatcher.walk(cst.parse_module(source))
    return [value.kind for value in asker.seen]


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names whose scope ``_accounted_uses`` walked, one entry per walk."""
    found: list[str] = []
    real = lists._accounted_uses

    def counting(body, name, *args, **kwargs):
        found.append(name)
        return real(body, name, *args, **kwargs)

    monkeypatch.setattr(lists, "_accounted_uses", counting)
    return found


MODULE_LIST = "import numpy as np\nxs = []\nxs.append(np.zeros(3))\nxs.append(np.ones(3))\n"


@pytest.mark.parametrize("indent", ["", "    "])
def test_a_list_asked_about_again_is_walked_once(walks: list[str], indent: str) -> None:
    body = MODULE_LIST + "probe(xs)\n"
    source = body if not indent else "import numpy as np\ndef f():\n" + "".join(
        indent + line + "\n" for line in body.splitlines()[1:]
    )
    assert _elements(source, times=3) == [Kind.NDARRAY] * 3
    assert walks == ["xs"]


def test_every_other_occurrence_still_makes_the_answer_unknown(walks: list[str]) -> None:
    # Two conversions: each is an occurrence the other's answer does not account for.
    assert _elements(MODULE_LIST + "probe(xs)\nprobe(xs)\n") == [Kind.UNKNOWN, Kind.UNKNOWN]
    assert walks == ["xs"]
    assert _elements(MODULE_LIST + "print(xs)\nprobe(xs)\n") == [Kind.UNKNOWN]
    assert _elements(MODULE_LIST + "n = len(xs)\nprobe(xs)\n") == [Kind.NDARRAY]


def test_a_module_list_named_in_a_function_is_unknown_at_module_level() -> None:
    assert _elements(MODULE_LIST + "def f():\n    return xs\nprobe(xs)\n") == [Kind.UNKNOWN]
    assert _elements(MODULE_LIST + "probe(xs)\n") == [Kind.NDARRAY]
