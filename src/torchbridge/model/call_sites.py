"""Values that only a caller knows: the facts every call site of a private helper (or of a
function nested in another) proves for one of its parameters (``def _detect(net, img)``
called only as ``_detect(net, frame[..., ::-1])``).

Computed lazily, for a rule's question alone: when a rule asks the value of an expression
that reads a parameter of such a function and the flow leaves it open, the function's call
sites are found (one scan of the module, or of the parent function, kept per check) and
their arguments valued by a values-only walk of each calling function (of the module's
statements up to the call, for a call at module level), kept per caller. Where every call
site proves a fact of a parameter (an array, a tensor, a module or a device), the function
is walked again with the parameter bound to it, and the question is answered at the same
point. Nothing of this runs in a file where no rule asks such a question.

Which functions are summarised (the soundness criterion): a fact is used only when the
module's own calls are the only calls the function can get.

- A module-level ``def`` whose name has one leading underscore (``_load``; not a dunder):
  private by Python's convention, so no other module calls it (``from m import *`` leaves it
  out too). The name is bound once in the module, and the ``def`` has no decorator.
- Every other occurrence of its name in the module is the callee of a direct call
  ``_load(...)``. A name used as a value (passed, returned, stored, decorated, rebound,
  shadowed by a parameter or local of the same name, named in ``global``, or spelled in a
  string, which covers ``__all__`` and ``getattr(module, "_load")``) is never summarised.
- At least one call site and at most ``MAX_CALL_SITES`` of them; a call with ``*args`` or
  ``**kwargs`` makes every parameter unknown. A parameter the call leaves out takes its
  default, which counts when it is a literal (``None``, a number, a string).
- A ``def`` nested directly in a module-level function or a method of a module-level class,
  without decorators, whose name that parent binds once and uses only as the callee of
  direct calls (anywhere in its body, nested functions included): its name cannot be
  reached from anywhere else.
- A parameter's fact is the join of its argument's value at each call, as the caller's flow
  has it there; an argument the walk does not reach is unknown.

Not summarised: methods (a subclass or an instance attribute may replace them), public
functions (another module may call them; the project index cannot tell every importer
without reading the whole project, and a file checked alone, by flake8 or from standard
input, would then get other findings) and functions nested two deep. A private function of a
script module (one with ``if __name__ == "__main__":``) is summarised like any other: its
underscore keeps other modules' calls out as much there as anywhere. Calls through
``globals()``, ``sys.modules``, ``locals()`` or ``exec`` are not seen.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import libcst as cst

from . import grad_mode
from .blocks import argument_map, assignment_counts, parameters
from .names import names_in, string_value
from .tree import children, walk_children
from .values import UNKNOWN, Kind, Value, join_all

if TYPE_CHECKING:
    from .semantic import SemanticModel

MAX_CALL_SITES = 16  # more calls than this: the parameter is not summarised
MAX_REWALKS = 32  # walks of a function with its callers' facts, per file
_MAX_STEPS = 4  # assignments followed back from a rule's question to a parameter

_LITERALS = (cst.Integer, cst.Float, cst.SimpleString)
_SETTLING = frozenset({Kind.NDARRAY, Kind.TENSOR, Kind.MODULE, Kind.DEVICE})


# Where a call's arguments get their values: a module-level function, or a method of a
# module-level class, walked alone; the module's statements from the first to the one at
# this index; or None, a class body, whose values are not followed.
Unit = tuple[cst.FunctionDef, "cst.ClassDef | None"] | int | None


class CallSites:
    """The call-site facts of one module's private and nested functions, for one check (lazy,
    memoised)."""

    def __init__(self, model: SemanticModel) -> None:
        self._model = model
        self._sites: dict[str, list[tuple[Unit, cst.Call]]] | None = None  # name -> its calls
        self._seen: dict[int, list[Value]] = {}  # id(argument) -> its values where a walk reached it
        self._recorded: dict[object, set[int]] = {}  # a unit walked -> the arguments recorded in it
        self._facts: dict[int, dict[str, Value]] = {}  # id(FunctionDef) -> parameter -> fact
        self._answers: dict[int, Value] = {}  # id(expr) -> the value with the callers' facts
        self.rewalks = 0  # walks of a helper with its callers' facts
        self.walks = 0  # walks for the call sites' arguments (a caller, or the module's start)

    def refine(self, expr: cst.BaseExpression, value: Value) -> Value:
        """``value``, the flow's answer for ``expr`` in the function being walked, made more
        precise with what the function's callers pass, where they prove something: the
        callers of a function nested in a module-level function or method, else those of a
        private module-level function."""
        functions = self._model.enclosing_functions
        if not functions:
            return value
        answer = self._answers.get(id(expr))
        if answer is not None:
            return answer
        found = self._from_callers(expr, functions[1], functions[0]) if len(functions) == 2 else None
        if found is None and _private(functions[0]):
            found = self._from_callers(expr, functions[0], None)
        if found is None:
            return value
        # The flow's own answer where the walk with the callers' facts knows no more (or, which
        # should not happen, names another kind).
        useful = found.kind is not Kind.UNKNOWN and (value.kind is Kind.UNKNOWN or found.kind is value.kind)
        answer = self._answers[id(expr)] = found if useful else value
        return answer

    def _from_callers(self, expr: cst.BaseExpression, function: cst.FunctionDef,
                      parent: cst.FunctionDef | None) -> Value | None:
        """``expr``'s value in ``function`` (nested in ``parent`` when given) walked with the
        facts its callers prove; None where they prove nothing ``expr`` reads."""
        model = self._model
        if function.decorators:
            return None
        read = _parameters_read(model, expr, function)
        if not read:
            return None
        facts = self.parameter_facts(function, parent)
        if read.isdisjoint(facts) or self.rewalks >= MAX_REWALKS:
            return None
        unit = self._unit_of(parent) if parent is not None else (function, None)
        if unit is None:
            return None
        self.rewalks += 1
        outer, owner = unit
        mode = model.call_contexts.mode_of(outer.name.value) \
            if model.may_turn_grad_off and owner is None and model.summaries.is_top_level(outer) else None

        def rewalk(child: SemanticModel) -> None:
            child.argument_facts[id(function)] = facts
            with child.grad_mode.entered(off=mode == grad_mode.OFF, undecided=mode == grad_mode.UNDECIDED):
                child.returns_of(outer, owner)

        return join_all(_probed(model, {id(expr)}, rewalk).get(id(expr)))

    def parameter_facts(self, function: cst.FunctionDef, parent: cst.FunctionDef | None = None) -> dict[str, Value]:
        """The facts every call site of ``function`` proves, by parameter (empty: none);
        ``parent``: the module-level function or method ``function`` is nested in."""
        found = self._facts.get(id(function))
        if found is None:
            sites = self._nested_sites(function, parent) if parent is not None else self._module_sites(function)
            found = self._facts[id(function)] = self._parameter_facts(function, sites)
        return found

    def _module_sites(self, function: cst.FunctionDef) -> list[tuple[Unit, cst.Call]] | None:
        if not self._model.summaries.is_top_level(function):
            return None
        if self._sites is None:
            module = self._model.module
            self._sites = _scan(self._model, module) if module is not None else {}
        return self._sites.get(function.name.value)

    def _nested_sites(self, function: cst.FunctionDef, parent: cst.FunctionDef) -> list[tuple[Unit, cst.Call]] | None:
        """The calls of ``function``, a ``def`` in ``parent``'s own body that binds its name
        once, when every use of the name in ``parent`` is such a call."""
        name = function.name.value
        unit = self._unit_of(parent)
        if unit is None or assignment_counts(parent.body).get(name) != 1:
            return None
        sites: dict[str, list[tuple[Unit, cst.Call]]] = {name: []}
        escaped: set[str] = set()
        _collect(parent.body, unit, sites, escaped, {id(function.name)})
        return None if escaped else sites[name]

    def _unit_of(self, function: cst.FunctionDef) -> tuple[cst.FunctionDef, cst.ClassDef | None] | None:
        """``function`` and its class, when it is a module-level function or a method of a
        module-level class, which a walk can start from."""
        summaries = self._model.summaries
        if summaries.is_top_level(function):
            return function, None
        module = self._model.module
        for statement in module.body if module is not None else ():
            if type(statement) is cst.ClassDef and function in _statements(statement.body):
                return (function, statement) if summaries.is_top_level(statement) else None
        return None

    def _parameter_facts(self, function: cst.FunctionDef, sites: list[tuple[Unit, cst.Call]] | None) -> dict[str, Value]:
        model = self._model
        if not sites or len(sites) > MAX_CALL_SITES or any(unit is None for unit, _ in sites) \
                or not function.params.params:
            return {}
        passed = [argument_map(function, call, method=False) for _, call in sites]
        if any(arguments is None for arguments in passed):
            return {}  # *args or **kwargs at a call, or more positions than parameters
        self._walk_units(sites)
        facts: dict[str, Value] = {}
        for param in parameters(function.params):
            if param is function.params.star_arg or param is function.params.star_kwarg:
                continue
            name = param.name.value
            joined: Value | None = None
            for arguments in passed:
                assert arguments is not None
                given = arguments.get(name)
                value = join_all(self._seen.get(id(given))) if given is not None else _default(model, param)
                joined = value if joined is None else joined.join(value)
                if joined.kind is Kind.UNKNOWN:
                    break
            if joined is not None and _may_settle(joined):
                facts[name] = joined
        return facts

    def _walk_units(self, sites: list[tuple[Unit, cst.Call]]) -> None:
        """Walk the units of ``sites`` whose arguments are not recorded yet, recording them."""
        needed: dict[object, tuple[Callable[[SemanticModel], None], set[int]]] = {}
        last = max((unit for unit, _ in sites if isinstance(unit, int)), default=-1)
        for unit, call in sites:
            if unit is None:
                continue
            key: object = ("module", last) if isinstance(unit, int) else id(unit[0])
            arguments = {id(arg.value) for arg in call.args} - self._recorded.get(key, set())
            if arguments:
                walk: Callable[[SemanticModel], None] = \
                    partial(_walk_prefix, last) if isinstance(unit, int) else partial(_walk_caller, *unit)
                needed.setdefault(key, (walk, set()))[1].update(arguments)
        for key, (walking, probes) in needed.items():
            self.walks += 1
            self._recorded.setdefault(key, set()).update(probes)
            for argument, values in _probed(self._model, probes, walking).items():
                self._seen.setdefault(argument, []).extend(values)


def _may_settle(value: Value) -> bool:
    """A fact that the rules' questions turn on: an array, a tensor, a module, a device, or a
    list or tuple of arrays or tensors (a number or a dict alone settles none, and would cost
    a walk of the helper for nothing)."""
    if value.kind in _SETTLING:
        return True
    element = value.result
    return value.kind in (Kind.LIST, Kind.TUPLE) and element is not None and element.kind in _SETTLING


def _private(function: cst.FunctionDef) -> bool:
    name = function.name.value
    return name.startswith("_") and not name.startswith("__")


def _default(model: SemanticModel, param: cst.Param) -> Value:
    """A left-out argument's default, when a literal (evaluated in any scope alike)."""
    default = param.default
    if default is None:
        return UNKNOWN  # a call that leaves it out raises TypeError: this call adds nothing
    if isinstance(default, _LITERALS) or (type(default) is cst.Name and default.value in ("None", "True", "False")):
        return model.evaluator.value(default)
    return UNKNOWN


def _scan(model: SemanticModel, module: cst.Module) -> dict[str, list[tuple[Unit, cst.Call]]]:
    """For each private module-level function of the module whose name is only ever called
    directly, its calls, each with the unit whose walk gives its arguments' values."""
    candidates = {
        statement.name.value: statement for statement in module.body
        if type(statement) is cst.FunctionDef and _private(statement) and not statement.decorators
        and model.summaries.is_top_level(statement)
    }
    if not candidates:
        return {}
    sites: dict[str, list[tuple[Unit, cst.Call]]] = {name: [] for name in candidates}
    escaped: set[str] = set()
    skipped: set[int] = {id(node.name) for node in candidates.values()}  # the defs' own names
    units: list[tuple[Unit, cst.CSTNode]] = []
    for index, statement in enumerate(module.body):
        if type(statement) is cst.FunctionDef:
            units.append(((statement, None), statement))
        elif type(statement) is cst.ClassDef:
            units.append((None, statement.name))
            units.extend(((part, statement), part) if type(part) is cst.FunctionDef else (None, part)
                         for part in (*statement.decorators, *statement.bases, *statement.keywords,
                                      *_statements(statement.body)))
        else:
            units.append((index, statement))
    for unit, root in units:
        _collect(root, unit, sites, escaped, skipped)
    return {name: calls for name, calls in sites.items() if name not in escaped and calls}


def _collect(root: cst.CSTNode, unit: Unit, sites: dict[str, list[tuple[Unit, cst.Call]]], escaped: set[str],
             skipped: set[int]) -> None:
    """Add the direct calls under ``root`` of the functions named in ``sites``; a name of
    theirs used any other way (not one of the ``skipped`` nodes) goes into ``escaped``."""
    pending: list[cst.CSTNode] = [root]
    while pending:
        node = pending.pop()
        if type(node) is cst.Name:
            if node.value in sites and id(node) not in skipped:
                escaped.add(node.value)  # a use as a value, a binding, a ``global``
            continue
        if type(node) is cst.Call and type(node.func) is cst.Name and node.func.value in sites:
            sites[node.func.value].append((unit, node))
            skipped.add(id(node.func))
        elif type(node) is cst.Attribute:
            skipped.add(id(node.attr))  # ``obj._load``: another object's attribute
        elif type(node) is cst.Arg and node.keyword is not None:
            skipped.add(id(node.keyword))
        elif type(node) is cst.SimpleString and string_value(node) in sites:
            escaped.add(string_value(node) or "")  # ``__all__``, ``getattr(module, "_load")``
        pending.extend(children(node))


def _walk_prefix(last: int, child: SemanticModel) -> None:
    child.walk_module_prefix(last)


def _walk_caller(caller: cst.FunctionDef, owner: cst.ClassDef | None, child: SemanticModel) -> None:
    child.returns_of(caller, owner)


def _statements(body: cst.BaseSuite) -> list[cst.CSTNode]:
    return list(body.body) if type(body) is cst.IndentedBlock else [body]


def _parameters_read(model: SemanticModel, expr: cst.BaseExpression, function: cst.FunctionDef) -> set[str]:
    """The parameters of ``function`` that ``expr`` reads, directly or through the values
    assigned to the names it reads (a few steps back): only their callers' facts may change
    its value. A name is a parameter's when it is spelled like one (``img = img.transpose(...)``
    rebinds it from itself, so its binding alone leads nowhere)."""
    names = {param.name.value for param in parameters(function.params)}
    found: set[str] = set()
    pending: list[tuple[cst.CSTNode, int]] = [(expr, 0)]
    seen: set[str] = set()
    while pending:
        node, depth = pending.pop()
        for name in names_in(node) - seen:
            seen.add(name)
            if name in names:
                found.add(name)
            binding = model.lookup(name)
            for path in binding.paths() if binding is not None and depth < _MAX_STEPS else ():
                if path.value is not None:
                    pending.append((path.value, depth + 1))
    return found


def _probed(model: SemanticModel, probes: set[int], walk: Callable[[SemanticModel], object]) -> dict[int, list[Value]]:
    """The values the nodes ``probes`` have where a values-only walk (``walk``, given a child
    model of ``model``) reaches them, each time it does."""
    child = type(model).for_summary(model, model.summaries)
    seen: dict[int, list[Value]] = {}
    table = child.traversals()

    def probing(node: cst.CSTNode) -> None:
        if id(node) in probes:
            seen.setdefault(id(node), []).append(child.evaluator.value(node))  # type: ignore[arg-type]
        traverse = table.get(type(node))
        if traverse is not None:
            traverse(node)
        else:
            walk_children(node, probing)

    child.walk = probing
    walk(child)
    return seen
