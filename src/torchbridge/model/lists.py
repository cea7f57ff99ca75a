"""What a list built by appending holds: ``frames = []`` ... ``frames.append(np.load(p))``.

The usual way data is gathered before one conversion (`torch.tensor(frames)`,
`np.array(outputs)`) is an empty list filled in a loop. The flow does not follow
mutations, so the model records each ``.append`` as its walk passes it (``observe``), with
the value it sees *there*; ``elements`` then answers for a list whose every use in its
function is accounted for: one binding to a list display, ``.append(x)`` statements
already walked, ``len(...)``, iteration by a comprehension, and the conversion asked about. Anything else (``extend``, an
index assignment, passing the list elsewhere, a closure) leaves the answer unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from . import catalogue, comprehensions
from .names import self_attribute
from .tree import children
from .values import UNKNOWN, Kind, Value

if TYPE_CHECKING:
    from .semantic import SemanticModel

_HARMLESS_CALLS = frozenset({"len"})
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_BLOCK_HOLDERS = (cst.BaseCompoundStatement, cst.Else, cst.ExceptHandler, cst.Finally, cst.MatchCase)


class ListContents:
    def __init__(self) -> None:
        # (id(binding node), name) -> the appended values (``a, b = [], []`` binds two in one node)
        self.appended: dict[tuple[int, str], list[Value]] = {}
        # self.<name>.append(x) in a method: name -> the values (``attribute_elements``)
        self.attribute_appended: dict[str, list[Value]] = {}
        # (id(class), name) -> the appends to self.<name> in its methods, and any other uses
        self._attribute_uses: dict[tuple[int, str], tuple[list[tuple[cst.FunctionDef, cst.Call]], set[int]]] = {}
        self.seen: set[int] = set()  # id of each ``.append`` call recorded
        # (id(body), name, id(target), id(last) or None, nested uses allowed) -> ``_Uses``: a
        # scope's walk for a list, shared by every question about it (``_accounted_uses``).
        self.uses: dict[tuple[int, str, int, int | None, bool], _Uses] = {}

    def observe(self, model: SemanticModel, call: cst.Call) -> None:
        """Record ``name.append(x)``: what ``x`` is here."""
        func = call.func
        if not (type(func) is cst.Attribute and func.attr.value == "append"
                and len(call.args) == 1 and not call.args[0].star and call.args[0].keyword is None):
            return
        receiver = func.value
        # Only the walks of a method's writes read these (``Summaries``); the file's own walk skips them.
        if (type(receiver) is cst.Attribute and type(receiver.value) is cst.Name and not model.answers_rules
                and model.instance_class(receiver.value.value) is not None):
            self.attribute_appended.setdefault(receiver.attr.value, []).append(model.evaluator.value(call.args[0].value))
            return
        if type(func.value) is not cst.Name:
            return
        self.seen.add(id(call))
        binding = model.lookup(func.value.value)
        if binding is None or binding.node is None:
            return
        self.appended.setdefault((id(binding.node), func.value.value), []).append(model.evaluator.value(call.args[0].value))


def elements(model: SemanticModel, name: cst.Name) -> Value:
    """What every element of the list ``name`` is, where all of its uses are accounted for:
    the common kind of its display's items and its appended values; UNKNOWN otherwise."""
    binding = model.lookup(name.value)
    if binding is None or model.scope.bindings.get(name.value) is not binding:
        return UNKNOWN
    definition = binding.node
    if binding.kind != "assign" or type(definition) is not cst.Assign or len(definition.targets) != 1:
        return UNKNOWN
    made = _display(definition, name.value)
    if made is None:
        return UNKNOWN
    display, target = made
    if type(display) is cst.ListComp:
        first = Value(Kind.NDARRAY) if _always_an_array(model, display.elt) else model.evaluator.value(display).result
        if first is None:
            return UNKNOWN
        values = [first]
    elif type(display) is cst.List and not any(type(e) is cst.StarredElement for e in display.elements):
        values = [model.evaluator.value(e.value) for e in display.elements]  # items of a literal display
    else:
        return UNKNOWN
    appends = _uses_in_scope(model, name, target)
    if appends is None:
        return UNKNOWN
    tracker = model.lists
    if any(id(call) not in tracker.seen for call in appends):
        return UNKNOWN  # an append the walk has not reached: what it adds is not known yet
    values += tracker.appended.get((id(definition), name.value), [])
    if not values:
        return UNKNOWN
    return _joined_arrays(values)


def _display(definition: cst.Assign, name: str) -> tuple[cst.BaseExpression, cst.Name] | None:
    """The list display bound to ``name`` by ``definition`` and the target that names it:
    ``xs = []``, or one position of ``epochs, losses = [], []``."""
    target, value = definition.targets[0].target, definition.value
    if type(target) is cst.Name:
        return (value, target) if target.value == name else None
    if not (type(target) is cst.Tuple and type(value) is cst.Tuple
            and len(target.elements) == len(value.elements)):
        return None
    for element, item in zip(target.elements, value.elements):
        if type(element) is cst.StarredElement or type(item) is cst.StarredElement:
            return None
        if type(element.value) is cst.Name and element.value.value == name:
            return item.value, element.value
    return None


def _uses_in_scope(model: SemanticModel, name: cst.Name, target: cst.Name) -> list[cst.Call] | None:
    """The ``.append`` calls of a function's list (``_accounted_uses``); of a module-level
    list, only while the walk is in the module's own code and no function, class or lambda
    of the module names it: then only the statements before this point have filled it.
    (Another module sees it only once this one has run, except through a circular import.)"""
    function = model.function
    if function is not None:
        body: cst.CSTNode = function.body
        nested_uses = True
    elif model.scope is not model.module_scope or model.module is None:
        return None
    else:
        body, nested_uses = model.module, False
    last = _rebinding_line(body, name, target)
    key = (id(body), name.value, id(target), id(last) if last is not None else None, nested_uses)
    uses = model.lists.uses.get(key)
    if uses is None:
        uses = model.lists.uses[key] = _accounted_uses(body, name.value, target, last, nested_uses)
    # The occurrence asked about is accounted for: it is the use being answered.
    return None if uses.forbidden or any(stray != id(name) for stray in uses.strays) else uses.appends


def _rebinding_line(body: cst.CSTNode, name: cst.Name, target: cst.Name) -> cst.SimpleStatementLine | None:
    """The statement ``xs = torch.tensor(xs)`` whose value holds the use ``name`` asked
    about and which rebinds the name, when it sits in the same block as the list's
    definition: every later occurrence of the name means the new value, and a loop around
    the two makes a new list each time, so the uses after it cannot change the list here."""
    pending: list[cst.CSTNode] = [body]
    while pending:
        node = pending.pop()
        if type(node) is cst.Module or type(node) is cst.IndentedBlock:
            lines = [s for s in node.body if type(s) is cst.SimpleStatementLine]
            start = next((i for i, line in enumerate(lines) if _binds(line, target)), None)
            if start is not None:  # the definition's block: a rebinding after it
                return next((line for line in lines[start + 1:] if _rebinds_around(line, name)), None)
            pending.extend(node.body)
        elif isinstance(node, _BLOCK_HOLDERS) and not (type(node) is cst.FunctionDef or type(node) is cst.ClassDef):
            pending.extend(children(node))  # statements only: the blocks of if, for, with, try...
    return None


def _binds(line: cst.SimpleStatementLine, target: cst.Name) -> bool:
    return any(type(small) is cst.Assign and any(_contains(t.target, target) for t in small.targets)
               for small in line.body)


def _rebinds_around(line: cst.SimpleStatementLine, name: cst.Name) -> bool:
    if len(line.body) != 1 or not isinstance(line.body[0], cst.Assign):
        return False
    assign = line.body[0]
    return (len(assign.targets) == 1 and isinstance(assign.targets[0].target, cst.Name)
            and assign.targets[0].target.value == name.value and _contains(assign.value, name))


def _contains(tree: cst.CSTNode, node: cst.CSTNode) -> bool:
    pending = [tree]
    while pending:
        current = pending.pop()
        if current is node:
            return True
        pending.extend(children(current))
    return False


@dataclass(frozen=True)
class _Uses:
    """A list's occurrences in one scope, read once for every question about it."""

    appends: list[cst.Call]  # its ``.append(...)`` calls
    strays: tuple[int, ...]  # ids of occurrences not accounted for (at most two: then no question can be answered)
    forbidden: bool  # an occurrence inside a nested function, class or lambda where none may be


def _changes_in_place(tree: cst.CSTNode) -> bool:
    """Whether ``tree`` calls a method named as PyTorch names its in-place ones (``add_``,
    ``requires_grad_``, ``detach_``): one trailing underscore."""
    pending: list[cst.CSTNode] = [tree]
    while pending:
        node = pending.pop()
        if type(node) is cst.Call and type(node.func) is cst.Attribute:
            attr = node.func.attr.value
            if attr.endswith("_") and not attr.startswith("_"):
                return True
        pending.extend(children(node))
    return False


def _accounted_uses(body: cst.CSTNode, name: str, target: cst.Name, last: cst.SimpleStatementLine | None,
                    nested_uses: bool = True) -> _Uses:
    """The ``name.append(...)`` calls of ``body``, and the other occurrences of the name that
    are neither its definition ``target``, ``len(name)``, an append nor the iterable of a
    comprehension (the one asked about is one of them: ``_uses_in_scope`` lets it through);
    any occurrence inside a nested function, class or lambda is forbidden unless
    ``nested_uses``. With ``last``
    (``_rebinding_line``), the occurrences after that statement are not read."""
    appends: list[cst.Call] = []
    strays: list[int] = []
    allowed: set[int] = {id(target)}
    stack: list[tuple[cst.CSTNode, bool]] = [(body, False)]
    after_last: int | None = None  # the stack's depth once ``last`` is read: what remains comes after it
    while stack:
        if after_last is not None and len(stack) <= after_last:
            break
        node, nested = stack.pop()
        if node is last:
            after_last = len(stack)
            assign = last.body[0]
            assert type(assign) is cst.Assign
            allowed.add(id(assign.targets[0].target))
        if type(node) is cst.Call:
            func = node.func
            if (type(func) is cst.Attribute and func.attr.value == "append" and type(func.value) is cst.Name
                    and func.value.value == name):
                appends.append(node)
                allowed.add(id(func.value))
            elif (type(func) is cst.Name and func.value in _HARMLESS_CALLS and len(node.args) == 1
                  and isinstance(node.args[0].value, cst.Name)):
                allowed.add(id(node.args[0].value))
        elif isinstance(node, cst.BaseComp) and not _changes_in_place(node):
            # A comprehension that calls no in-place method only reads the lists it iterates
            # (``[t.requires_grad_(False) for t in ts]`` would change their elements; so may a
            # ``for`` statement's body, whose iteration is not taken as a read).
            for_in: cst.CompFor | None = node.for_in
            while for_in is not None:
                if type(for_in.iter) is cst.Name:
                    allowed.add(id(for_in.iter))
                for_in = for_in.inner_for_in
        elif type(node) is cst.Name:
            if node.value == name:
                if nested and not nested_uses:
                    return _Uses(appends, tuple(strays), forbidden=True)
                if id(node) not in allowed:
                    strays.append(id(node))
                    if len(strays) == 2:
                        break  # one of them is not the use asked about, whichever it is
            continue
        inner = nested or isinstance(node, _SCOPES)
        # Children after the parent: a call marks its own names allowed before they are seen.
        stack.extend((child, inner) for child in reversed(list(children(node))))
    return _Uses(appends, tuple(strays), forbidden=False)


def attribute_elements(model: SemanticModel, expr: cst.Attribute) -> Value:
    """What every element of ``self.<name>`` is, in a method of a module-level class, when
    the attribute is a list only the class's own methods fill: every occurrence of
    ``.<name>`` in the module is ``self.<name> = []`` or ``self.<name>.append(x)`` in one of
    its methods (not in a nested function or lambda), ``len(self.<name>)`` or ``expr``; no
    code of the module writes the name from outside (``attributes.OutsideWrites``) and the
    class body binds no such name. Any method may have run before this one, so the elements
    are the join of every append, each seen in a values-only walk of its method. Other
    modules are taken not to fill it, as they are taken not to write attributes."""
    owner = model.instance_class(expr.value.value) if type(expr.value) is cst.Name else None
    module = model.module
    if owner is None or module is None or not model.summaries.is_top_level(owner):
        return UNKNOWN
    name = expr.attr.value
    if model.self_attribute(name).kind is not Kind.LIST:
        return UNKNOWN  # every write a list display (the class's facts): before any scan of the module
    outside = model.attributes_written_outside(owner)
    if outside is None or name in outside or name in model.summaries.class_counts(owner)[1]:
        return UNKNOWN
    tracker = model.lists
    key = (id(owner), name)
    if key not in tracker._attribute_uses:
        tracker._attribute_uses[key] = _attribute_uses(module, owner, name)
    appends, unexplained = tracker._attribute_uses[key]
    if not unexplained <= {id(expr)}:
        return UNKNOWN
    values: list[Value] = []
    for method, _ in appends:
        found = model.summaries.appended(method, owner, name)
        if found is None:
            return UNKNOWN
        values += found
    if not values or len(values) != len(appends):
        return UNKNOWN  # an append the walk of its method did not record
    return _joined_arrays(values)


def _attribute_uses(module: cst.Module, owner: cst.ClassDef,
                    name: str) -> tuple[list[tuple[cst.FunctionDef, cst.Call]], set[int]]:
    """The ``self.<name>.append(x)`` calls in ``owner``'s methods, and the ids of the other
    occurrences of ``.<name>`` in the module that are not ``self.<name> = []`` in a method or
    ``len(self.<name>)``."""
    methods = {id(s) for s in (owner.body.body if type(owner.body) is cst.IndentedBlock else ())
               if type(s) is cst.FunctionDef}
    appends: list[tuple[cst.FunctionDef, cst.Call]] = []
    explained: set[int] = set()
    unexplained: set[int] = set()
    # (node, the method of owner it is directly in, or None)
    pending: list[tuple[cst.CSTNode, cst.FunctionDef | None]] = [(module, None)]
    while pending:
        node, method = pending.pop()
        if type(node) is cst.FunctionDef or type(node) is cst.Lambda or type(node) is cst.ClassDef:
            inner = node if type(node) is cst.FunctionDef and id(node) in methods else None
            pending.extend((child, inner) for child in children(node))
            continue
        if method is not None and type(node) is cst.Assign and type(node.value) is cst.List \
                and not node.value.elements and len(node.targets) == 1 and _is_self_attribute(node.targets[0].target, name):
            explained.add(id(node.targets[0].target))
        elif method is not None and type(node) is cst.Call and len(node.args) == 1:
            func = node.func
            if (type(func) is cst.Attribute and func.attr.value == "append"
                    and _is_self_attribute(func.value, name)):
                appends.append((method, node))
                explained.add(id(func.value))
            elif type(func) is cst.Name and func.value in _HARMLESS_CALLS \
                    and _is_self_attribute(node.args[0].value, name):
                explained.add(id(node.args[0].value))
        elif type(node) is cst.Attribute and node.attr.value == name and id(node) not in explained:
            unexplained.add(id(node))
        pending.extend((child, method) for child in children(node))
    return appends, unexplained


def _is_self_attribute(expr: cst.BaseExpression, name: str) -> bool:
    return self_attribute(expr) == name


def element_value(model, expr: cst.BaseExpression) -> Value:
    """What every element of the list or tuple ``expr`` is: a display's or comprehension's
    items (a comprehension written here valued with its variables bound: ``comprehensions``),
    or an appended-to list's; UNKNOWN when not known."""
    if type(expr) is cst.ListComp:
        found = comprehensions.item_value(model, expr)
        if found.kind is Kind.NDARRAY or found.kind is Kind.TENSOR:
            return found
    if type(expr) is cst.Name:
        found = elements(model, expr)
        if found.kind is not Kind.UNKNOWN:
            return found
    if type(expr) is cst.Attribute:
        found = attribute_elements(model, expr)
        if found.kind is not Kind.UNKNOWN:
            return found
    value = model.evaluator.value(expr)
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


def _joined_arrays(values: list[Value]) -> Value:
    """What every appended element agrees on, when all are arrays or all are tensors."""
    kind = values[0].kind
    if kind not in (Kind.NDARRAY, Kind.TENSOR) or any(v.kind is not kind for v in values):
        return UNKNOWN
    joined = values[0]
    for value in values[1:]:
        joined = joined.join(value)
    return joined
