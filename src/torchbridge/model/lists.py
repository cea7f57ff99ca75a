"""What a list built by appending holds: ``frames = []`` ... ``frames.append(np.load(p))``.

The usual way data is gathered before one conversion (`torch.tensor(frames)`,
`np.array(outputs)`) is an empty list filled in a loop. The flow does not follow
mutations, so the model records each ``.append`` as its walk passes it (``observe``), with
the value it sees *there*; ``elements`` then answers for a list whose every use in its
function is accounted for: one binding to a list display, ``.append(x)`` statements
already walked, ``len(...)``, and the conversion asked about. Anything else (``extend``, an
index assignment, passing the list elsewhere, a closure) leaves the answer unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from . import catalogue
from .tree import children
from .values import UNKNOWN, Kind, Value

if TYPE_CHECKING:
    from .semantic import SemanticModel

_HARMLESS_CALLS = frozenset({"len"})


class ListContents:
    def __init__(self) -> None:
        self.appended: dict[int, list[Value]] = {}  # id(binding node) -> the appended values
        self.seen: set[int] = set()  # id of each ``.append`` call recorded

    def observe(self, model: SemanticModel, call: cst.Call) -> None:
        """Record ``name.append(x)``: what ``x`` is here."""
        func = call.func
        if not (type(func) is cst.Attribute and func.attr.value == "append" and type(func.value) is cst.Name
                and len(call.args) == 1 and not call.args[0].star and call.args[0].keyword is None):
            return
        self.seen.add(id(call))
        binding = model.lookup(func.value.value)
        if binding is None or binding.node is None:
            return
        self.appended.setdefault(id(binding.node), []).append(model.value_of(call.args[0].value))


def elements(model: SemanticModel, name: cst.Name) -> Value:
    """What every element of the list ``name`` is, where all of its uses are accounted for:
    the common kind of its display's items and its appended values; UNKNOWN otherwise."""
    function = model.function
    binding = model.lookup(name.value)
    if function is None or binding is None or model.scope.bindings.get(name.value) is not binding:
        return UNKNOWN  # a module-level list: other modules may fill it
    definition = binding.node
    if binding.kind != "assign" or type(definition) is not cst.Assign or len(definition.targets) != 1:
        return UNKNOWN
    display = definition.value
    if type(display) is cst.ListComp:
        first = Value(Kind.NDARRAY) if _always_an_array(model, display.elt) else model.value_of(display).result
        if first is None:
            return UNKNOWN
        values = [first]
    elif type(display) is cst.List and not any(type(e) is cst.StarredElement for e in display.elements):
        values = [model.value_of(e.value) for e in display.elements]  # items of a literal display
    else:
        return UNKNOWN
    appends = _accounted_uses(function, name, definition)
    if appends is None:
        return UNKNOWN
    tracker = model.lists
    if any(id(call) not in tracker.seen for call in appends):
        return UNKNOWN  # an append the walk has not reached: what it adds is not known yet
    values += tracker.appended.get(id(definition), [])
    if not values:
        return UNKNOWN
    kind = values[0].kind
    if kind not in (Kind.NDARRAY, Kind.TENSOR) or any(v.kind is not kind for v in values):
        return UNKNOWN
    joined = values[0]
    for value in values[1:]:
        joined = joined.join(value)
    return joined


def _accounted_uses(function: cst.FunctionDef, name: cst.Name, definition: cst.Assign) -> list[cst.Call] | None:
    """The ``name.append(...)`` calls of the function, when every other occurrence of the
    name is its definition, ``len(name)`` or ``name`` itself; None otherwise."""
    appends: list[cst.Call] = []
    allowed: set[int] = {id(name), id(definition.targets[0].target)}
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if type(node) is cst.Call:
            func = node.func
            if (type(func) is cst.Attribute and func.attr.value == "append" and type(func.value) is cst.Name
                    and func.value.value == name.value):
                appends.append(node)
                allowed.add(id(func.value))
            elif (type(func) is cst.Name and func.value in _HARMLESS_CALLS and len(node.args) == 1
                  and isinstance(node.args[0].value, cst.Name)):
                allowed.add(id(node.args[0].value))
        elif type(node) is cst.Name:
            if node.value == name.value and id(node) not in allowed:
                return None
            continue
        # Children after the parent: a call marks its own names allowed before they are seen.
        stack.extend(reversed(list(children(node))))
    return appends


def element_value(model, expr: cst.BaseExpression) -> Value:
    """What every element of the list or tuple ``expr`` is: a display's or comprehension's
    items, or an appended-to list's; UNKNOWN when not known."""
    if type(expr) is cst.Name:
        found = elements(model, expr)
        if found.kind is not Kind.UNKNOWN:
            return found
    value = model.value_of(expr)
    if value.kind in (Kind.LIST, Kind.TUPLE) and value.result is not None:
        return value.result
    if type(expr) is cst.ListComp and _always_an_array(model, expr.elt):
        return Value(Kind.NDARRAY)
    return UNKNOWN


def _always_an_array(model, elt: cst.BaseExpression) -> bool:
    """A comprehension item that is an ndarray whatever its loop variables hold: a NumPy
    constructor's result, or ``.numpy()``."""
    if type(elt) is not cst.Call:
        return False
    if type(elt.func) is cst.Attribute and elt.func.attr.value == "numpy" and not elt.args:
        return True
    return any(catalogue.is_always_ndarray(name) for name in model.qualnames(elt.func))
