"""Facts that cross functions: what a function or method of the same module returns.

``lam = self._params(n)`` where ``_params`` returns ``np.ones(...)``, or ``load(path)``
where ``load`` returns ``np.load(path)``: the value at the call is the join of every
``return`` of the callee (``Value.join``: each path must prove a fact), computed once per
function by a values-only walk of its body and kept for the rest of the file.

Where a summary stops (the answer is unknown):

- the callee falls off its end on some path (it returns ``None`` there), is a generator or
  a coroutine, or carries a decorator other than a grad mode (``@torch.no_grad()``) or
  ``@staticmethod`` (a decorator may return anything);
- the callee is nested in another function (a closure reads its variables at call time);
- a summary in progress is asked for again (recursion), more than ``MAX_DEPTH`` summaries
  are in progress, the body has more than ``MAX_STATEMENTS`` statements, or the file has
  used its ``MAX_WALKS`` walks; a summary that met such a cut is not memoised (it may be
  complete when asked again from outside the cycle);
- the parameters are unknown inside the body (their annotations count, as they do
  everywhere in the model), except in a summary for one call: where that summary leaves
  the result open (unknown, a tensor whose grad or placement is open, an ndarray whose
  layout is), the body is walked again with the parameters bound to what this call passes
  (``nn(x, w1, w2)`` with ``w1`` requiring grad returns a tensor that does). That answer
  is this call's alone, so it holds whoever else calls the function, public or not; it is
  memoised per argument values and counts against ``MAX_WALKS``. A starred argument
  makes every position unknown.

A method is resolved through ``self.<name>(...)`` only when the call sits in a method of
a module-level class, ``self`` is that method's first parameter and still unbound since,
the class body defines ``<name>`` once as a plain method, no code of the module assigns an
attribute ``<name>`` (``attributes.OutsideWrites``), the class has no decorators, and no class of the module derives from it
and defines ``<name>`` again. A subclass in another module that overrides the method is
not seen: the same assumption every type checker makes about ``self``.

A summary is made for the grad mode at the call (on, off, or decided by a flag): under
``no_grad`` a helper's ``model(x)`` does not require grad, while a parameter or a
``requires_grad=True`` leaf it returns still does. The body's own findings are judged in
the mode the module's calls give it (``call_contexts``), not per call.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import libcst as cst

from . import context_managers, grad_mode
from .blocks import assignment_counts, self_assignment_counts
from .names import dotted
from .tree import children, node_types
from .values import UNKNOWN, Kind, Layout, Value, join_all

if TYPE_CHECKING:
    from .semantic import SemanticModel

# What one call passes for some of the callee's parameters, by name.
Arguments = tuple[tuple[str, Value], ...]

MAX_DEPTH = 8  # summaries in progress at once (a chain of helpers calling helpers)
MAX_STATEMENTS = 400  # a longer body is not summarised: its cost would not pay
MAX_WALKS = 200  # values-only walks per file (summaries not memoised in a cycle may repeat)

_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_STATEMENTS = node_types(cst.BaseStatement, cst.BaseSmallStatement)


class Summaries:
    """The return summaries of one module's functions and methods, computed on demand."""

    def __init__(self, model: SemanticModel, walker: Callable[[SemanticModel, Summaries], SemanticModel]) -> None:
        self._model = model  # the file's model: the module, its imports, its flags
        # SemanticModel.for_summary, passed in: the model builds summaries with a model of its own
        self._walker = walker
        # (id(FunctionDef), the grad mode at the call, the argument values) -> the joined returns
        self._done: dict[tuple[int, str | None, tuple[tuple[str, Value, int], ...]], Value] = {}
        # summaries in progress (a cycle is unknown)
        self._active: set[tuple[int, str | None, tuple[tuple[str, Value, int], ...]]] = set()
        self._active_functions: set[int] = set()  # their functions: no summary per argument inside a cycle
        self._top: dict[str, cst.CSTNode] | None = None  # module-level defs and classes, by name
        self._methods: dict[int, dict[str, cst.FunctionDef]] = {}
        self._counts: dict[int, tuple[dict[str, int], frozenset[str]]] = {}
        self._writers: dict[int, dict[str, list[cst.FunctionDef]]] = {}  # id(ClassDef) -> name -> methods
        self._writes: dict[int, dict[str, Value]] = {}  # id(method) -> what it stores in self.<name>
        self._active_writes: set[int] = set()
        self._appends: dict[int, dict[str, list[Value]]] = {}  # id(method) -> what it appends to self.<name>
        self._cuts = 0  # how often a summary was cut short (recursion, bounds): see ``returned``
        self._walks = 0  # the values-only walks made for this file (bounded by MAX_WALKS)

    # ------------------------------------------------------------------ lookup

    def top_level(self, name: str) -> cst.CSTNode | None:
        """The module-level ``def`` or ``class`` that ``name`` is, when the module binds the
        name exactly once (anywhere in its body): then any call that runs reaches it."""
        module = self._model.module
        if module is None:
            return None
        if self._top is None:
            counts = self._model.module_assignment_counts()
            self._top = {
                statement.name.value: statement
                for statement in module.body
                if (type(statement) is cst.FunctionDef or type(statement) is cst.ClassDef) and counts.get(statement.name.value) == 1
            }
        return self._top.get(name)

    def class_counts(self, owner: cst.ClassDef) -> tuple[dict[str, int], frozenset[str]]:
        """How often the class's methods assign each ``self.<name>``, and the names its body
        binds: read once per class, whichever walk asks."""
        found = self._counts.get(id(owner))
        if found is None:
            found = self._counts[id(owner)] = (self_assignment_counts(owner.body), frozenset(assignment_counts(owner.body)))
        return found

    def is_top_level(self, node: cst.CSTNode) -> bool:
        name = getattr(node, "name", None)
        return type(name) is cst.Name and self.top_level(name.value) is node

    def method(self, owner: cst.ClassDef, name: str) -> cst.FunctionDef | None:
        """The plain method ``name`` of a module-level class, when no subclass of the module
        defines it again and no code of the module stores an attribute of that name."""
        table = self._methods.get(id(owner))
        if table is None:
            table = self._methods[id(owner)] = self._plain_methods(owner)
        return table.get(name)

    def _plain_methods(self, owner: cst.ClassDef) -> dict[str, cst.FunctionDef]:
        if owner.decorators or not self.is_top_level(owner):
            return {}
        stored, _ = self.class_counts(owner)
        counts = assignment_counts(owner.body)
        outside = self._model.attributes_written_outside(owner)  # obj._params = ..., setattr
        if outside is None:
            return {}
        overridden = self._redefined_in_subclasses(owner)
        return {
            statement.name.value: statement
            for statement in _statements(owner.body)
            if type(statement) is cst.FunctionDef and counts.get(statement.name.value) == 1
            and statement.name.value not in stored and statement.name.value not in overridden
            and statement.name.value not in outside
        }

    def _redefined_in_subclasses(self, owner: cst.ClassDef) -> set[str]:
        """Names that a module-level class deriving from ``owner`` (at any depth) binds."""
        module = self._model.module
        classes = [s for s in module.body if type(s) is cst.ClassDef] if module is not None else []
        derived = {owner.name.value}
        changed = True
        while changed:
            changed = False
            for cls in classes:
                bases = {(dotted(base.value) or "").rpartition(".")[2] for base in cls.bases}
                if cls.name.value not in derived and bases & derived:
                    derived.add(cls.name.value)
                    changed = True
        names: set[str] = set()
        for cls in classes:
            if cls is not owner and cls.name.value in derived:
                names |= set(assignment_counts(cls.body))
        return names

    # --------------------------------------------------------------- summaries

    def returned(self, function: cst.FunctionDef, owner: cst.ClassDef | None) -> Value:
        """What calling ``function`` here gives: the join of its returns, its body walked in
        the grad mode of this point (a helper called under ``no_grad`` returns tensors that
        do not require grad, unless they are leaves that do), or unknown."""
        return self._returned(function, owner, ())

    def returned_for(self, function: cst.FunctionDef, owner: cst.ClassDef | None, plain: Value,
                     arguments: Arguments) -> Value:
        """What one call gives, passing ``arguments`` for some parameters, where ``plain`` (the
        summary that knows nothing of its parameters: ``returned``) leaves the result open
        (``open_result``, which the caller has asked before valuing the arguments): the body walked again with those parameters bound to these values, an answer for this
        call alone, whoever else calls the function (memoised per function, grad mode and
        argument values). Inside a cycle through the function, ``plain`` stays the answer."""
        if not arguments or id(function) in self._active_functions:
            return plain
        return self._returned(function, owner, arguments)

    def _returned(self, function: cst.FunctionDef, owner: cst.ClassDef | None, arguments: Arguments) -> Value:
        model = self._model
        mode = grad_mode.OFF if model.in_no_grad else (grad_mode.UNDECIDED if model.grad_mode_unknown else None)
        # The evidence is not compared by Value: a message must point at this call's own.
        key = (id(function), mode, tuple((name, value, id(value.evidence)) for name, value in arguments))
        done = self._done.get(key)
        if done is not None:
            return done
        if key in self._active or len(self._active) + len(self._active_writes) >= MAX_DEPTH or self._walks >= MAX_WALKS:
            self._cuts += 1  # recursion: unknown here, and what is in progress is not memoised
            return UNKNOWN
        if not _summarisable(function, model):
            self._done[key] = UNKNOWN
            return UNKNOWN
        self._active.add(key)
        self._active_functions.add(id(function))
        self._walks += 1
        cuts = self._cuts
        try:
            result = self._walk(function, owner, mode, arguments)
        finally:
            self._active.discard(key)
            self._active_functions.discard(id(function))
        if self._cuts == cuts:  # computed without cutting a cycle short: final
            self._done[key] = result
        return result

    def attribute(self, owner: cst.ClassDef, name: str) -> Value:
        """``self.<name>`` of a module-level class, for a read the walk reaches before a later
        method's write: the join of the writes, each seen in a values-only walk of the method
        that makes it (memoised per method). Unknown when a write is not in one of the
        class's own methods, or a walk is cut short (recursion, bounds)."""
        if not self.is_top_level(owner):
            return UNKNOWN
        writers = self._writers.get(id(owner))
        if writers is None:
            writers = self._writers[id(owner)] = _writers(owner, self.class_counts(owner)[0])
        methods = writers.get(name)
        if not methods:
            return UNKNOWN
        result: Value | None = None
        for method in methods:
            written = self._method_writes(method, owner).get(name, UNKNOWN)
            result = written if result is None else result.join(written)
            if result.kind is Kind.UNKNOWN:
                return UNKNOWN
        return result or UNKNOWN

    def appended(self, method: cst.FunctionDef, owner: cst.ClassDef, name: str) -> list[Value] | None:
        """What ``method`` appends to ``self.<name>`` (``self.cost_his.append(loss)``), each
        value as its values-only walk sees it there; None when the walk is cut short."""
        self._method_writes(method, owner)
        appends = self._appends.get(id(method))  # absent: the walk was cut short (recursion, bounds)
        return None if appends is None else appends.get(name, [])

    def _method_writes(self, method: cst.FunctionDef, owner: cst.ClassDef) -> dict[str, Value]:
        key = id(method)
        done = self._writes.get(key)
        if done is not None:
            return done
        if key in self._active_writes or len(self._active) + len(self._active_writes) >= MAX_DEPTH \
                or self._walks >= MAX_WALKS:
            return {}
        self._active_writes.add(key)
        self._walks += 1
        try:
            child = self._walker(self._model, self)
            child.returns_of(method, owner)
            found = child.last_class_writes
        finally:
            self._active_writes.discard(key)
        # Memoised even when a summary inside was cut short: what it gives is unknown, never wrong.
        self._writes[key] = found
        self._appends[key] = child.lists.attribute_appended
        return found

    def _walk(self, function: cst.FunctionDef, owner: cst.ClassDef | None, mode: str | None,
              arguments: Arguments) -> Value:
        child = self._walker(self._model, self)
        child.argument_facts[id(function)] = dict(arguments)
        with child.grad_mode.entered(off=mode == grad_mode.OFF, undecided=mode == grad_mode.UNDECIDED):
            found = child.returns_of(function, owner)
        return join_all(found)


def open_result(value: Value) -> bool:
    """A summary whose answer the arguments may settle: unknown, a tensor whose grad or
    placement is open, an ndarray whose layout is."""
    if value.kind is Kind.TENSOR:
        return value.grad is None or value.on_device is None
    if value.kind is Kind.NDARRAY:
        return value.layout is Layout.UNKNOWN
    return value.kind is Kind.UNKNOWN


def _writers(owner: cst.ClassDef, total: dict[str, int]) -> dict[str, list[cst.FunctionDef]]:
    """For each ``self.<name>``, the class's methods that assign it; a name also assigned
    elsewhere in the class (a nested class, the class body) has none. ``total``: the
    class's ``self_assignment_counts``, as ``class_counts`` keeps it (not counted again)."""
    found: dict[str, list[cst.FunctionDef]] = {}
    counted: dict[str, int] = {}
    for statement in _statements(owner.body):
        if type(statement) is cst.FunctionDef:
            for name, count in self_assignment_counts(statement.body).items():
                found.setdefault(name, []).append(statement)
                counted[name] = counted.get(name, 0) + count
    return {name: methods for name, methods in found.items() if counted[name] == total.get(name)}


def _statements(body: cst.BaseSuite) -> list[cst.BaseStatement]:
    return list(body.body) if type(body) is cst.IndentedBlock else []


def _summarisable(function: cst.FunctionDef, model: SemanticModel) -> bool:
    if function.asynchronous is not None:
        return False  # a coroutine
    for decorator in function.decorators:
        if dotted(decorator.decorator) == "staticmethod":
            continue
        if model.grad_mode.of(decorator.decorator) is None:
            return False
    if not _always_returns(function.body, partial(context_managers.may_swallow, model)):
        return False
    # No ``yield`` (a generator), and a bounded size.
    statements = 0
    pending: list[cst.CSTNode] = [function.body]
    while pending:
        node = pending.pop()
        if type(node) is cst.Yield or type(node) is cst.Await:
            return False
        if type(node) in _STATEMENTS:
            statements += 1
            if statements > MAX_STATEMENTS:
                return False
        if type(node) in _SCOPES:
            continue
        pending.extend(children(node))
    return True


def _always_returns(body: cst.BaseSuite, may_swallow: Callable[[cst.With], bool]) -> bool:
    """Every path through ``body`` ends in ``return`` or ``raise`` (never falls off the end,
    which returns ``None``). A ``with`` whose manager ``may_swallow`` an exception may end
    early and fall off."""
    if type(body) is cst.SimpleStatementSuite:
        return bool(body.body) and isinstance(body.body[-1], (cst.Return, cst.Raise))
    if type(body) is not cst.IndentedBlock or not body.body:
        return False
    last = body.body[-1]
    if type(last) is cst.SimpleStatementLine:
        return any((type(small) is cst.Return or type(small) is cst.Raise) for small in last.body)
    if type(last) is cst.If:
        return _if_always_returns(last, may_swallow)
    if type(last) is cst.With:
        return not may_swallow(last) and _always_returns(last.body, may_swallow)
    if type(last) is cst.Try:
        # The body's end or else's, and every handler's; a finally that returns decides alone.
        if last.finalbody is not None and _always_returns(last.finalbody.body, may_swallow):
            return True
        ended = _always_returns(last.body, may_swallow) or (
            last.orelse is not None and _always_returns(last.orelse.body, may_swallow))
        return ended and all(_always_returns(h.body, may_swallow) for h in last.handlers)
    return False


def _if_always_returns(node: cst.If, may_swallow: Callable[[cst.With], bool]) -> bool:
    if not _always_returns(node.body, may_swallow):
        return False
    orelse = node.orelse
    if orelse is None:
        return False
    if type(orelse) is cst.If:
        return _if_always_returns(orelse, may_swallow)
    return _always_returns(orelse.body, may_swallow)
