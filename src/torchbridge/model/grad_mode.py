"""Whether grad is on, tracked during the model's walk.

``torch.no_grad()`` and ``inference_mode()`` as blocks or decorators, ``set_grad_enabled``
with a known or an unknown flag (as a block, or as a statement for the rest of its block),
the hooks a framework runs without grad; and the statements that change one tensor's
``requires_grad`` in place. The model answers ``in_no_grad``, ``grad_mode_unknown`` and
``requires_grad_here`` from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING

import libcst as cst

from . import returns
from .names import dotted, literal_bool
from .scope import rebind
from .values import Kind, Value

if TYPE_CHECKING:
    from .semantic import SemanticModel

# The context of a block that changes no state (``nullcontext`` holds none: one serves all).
UNCHANGED: AbstractContextManager[None] = nullcontext()

OFF = "off"  # grad is off
UNDECIDED = "unknown"  # a flag decides, or one path turns it off


class GradMode:
    def __init__(self, model: SemanticModel) -> None:
        self._model = model
        self.off_depth = 0  # no_grad contexts around the current point
        self.undecided_depth = 0  # set_grad_enabled(flag), a no_grad on one path only

    @property
    def in_no_grad(self) -> bool:
        return self.off_depth > 0

    @property
    def undecided(self) -> bool:
        return self.undecided_depth > 0 and not self.in_no_grad

    def requires_grad_here(self, value: Value) -> bool:
        """The value is a tensor proven to require grad, and grad is on at this point."""
        return bool(value.grad) and not self.in_no_grad and not self.undecided

    def entered(self, off: bool, undecided: bool = False) -> AbstractContextManager[None]:
        """A block in this grad mode: grad off (``off``), or decided by a flag (``undecided``).
        Neither (most functions and blocks) changes nothing: a shared empty context, not a
        generator made for each block."""
        if not off and not undecided:
            return UNCHANGED
        return self._entered(off, undecided)

    @contextmanager
    def _entered(self, off: bool, undecided: bool) -> Iterator[None]:
        self.off_depth += off
        self.undecided_depth += undecided
        try:
            yield
        finally:
            self.off_depth -= off
            self.undecided_depth -= undecided

    def of(self, expr: cst.BaseExpression,
           qualnames_of: Callable[[cst.BaseExpression], frozenset[str]] | None = None) -> str | None:
        """``OFF`` for ``torch.no_grad()``, ``inference_mode()``, ``set_grad_enabled(False)``;
        ``UNDECIDED`` when a flag decides (``set_grad_enabled(train)``, ``no_grad() if eval
        else nullcontext()``); None when it leaves grad alone. ``qualnames_of`` resolves
        names another way than at the walk's current point (a scan before the walk)."""
        if type(expr) is cst.IfExp:
            branches = {self.of(expr.body, qualnames_of), self.of(expr.orelse, qualnames_of)}
            return UNDECIDED if branches - {None} else None
        if type(expr) is cst.Name and qualnames_of is None:
            binding = self._model.lookup(expr.value)  # ctx = torch.no_grad(); with ctx:
            if binding is not None and binding.kind == "assign" and type(binding.value) is cst.Call:
                return self.of(binding.value)
        call = expr if type(expr) is cst.Call else None
        target = call.func if call is not None else expr
        qualnames = (qualnames_of or self._model.qualnames)(target)
        switch = call.args[0].value if call is not None and call.args else None
        if not qualnames.isdisjoint(returns.NO_GRAD):
            if switch is None or literal_bool(switch) is True:
                return OFF
            return None if literal_bool(switch) is False else UNDECIDED
        if not qualnames.isdisjoint(returns.SET_GRAD_ENABLED) and switch is not None:
            flag = literal_bool(switch)
            return UNDECIDED if flag is None else None if flag else OFF
        return None

    def of_statement(self, statement: cst.BaseStatement) -> str | None:
        """``torch.set_grad_enabled(False)`` as a statement: the rest of the block."""
        if type(statement) is cst.SimpleStatementLine:
            for small in statement.body:
                if (
                    type(small) is cst.Expr and type(small.value) is cst.Call
                    and not self._model.qualnames(small.value.func).isdisjoint(returns.SET_GRAD_ENABLED)
                ):
                    return self.of(small.value) or UNDECIDED  # True after False: unknown
        return None

    def apply_in_place(self, statement: cst.BaseStatement) -> None:
        """``p.requires_grad_(False)``, ``y.detach_()``, ``w.requires_grad = False``: the
        tensor itself changes, so its binding does."""
        if type(statement) is not cst.SimpleStatementLine:
            return
        for small in statement.body:
            name, grad = None, None
            if type(small) is cst.Expr and type(small.value) is cst.Call:
                func = small.value.func
                if type(func) is cst.Attribute and type(func.value) is cst.Name:
                    if func.attr.value == "detach_":
                        name, grad = func.value.value, False
                    elif func.attr.value == "requires_grad_":
                        args = small.value.args
                        flag = literal_bool(args[0].value) if args else True
                        name, grad = func.value.value, flag
            elif type(small) is cst.Assign and len(small.targets) == 1:
                target = small.targets[0].target
                if type(target) is cst.Attribute and target.attr.value == "requires_grad" and type(target.value) is cst.Name:
                    name, grad = target.value.value, literal_bool(small.value)
            if name is None:
                continue
            binding = self._model.scope.bindings.get(name)
            if binding is not None and binding.facts.kind in (Kind.TENSOR, Kind.MODULE):
                facts = binding.facts.but(grad=grad, evidence=statement if grad else None)
                if facts.kind is Kind.MODULE and facts.result is not None:
                    facts = facts.but(result=facts.result.but(grad=grad))
                self._model.scope.bindings[name] = rebind(binding, facts=facts)

    def is_no_grad_hook(self, node: cst.FunctionDef) -> bool:
        """A Lightning module's ``validation_step`` and the like: the framework runs it without grad."""
        if node.name.value not in returns.LIGHTNING_NO_GRAD_HOOKS or self._model.enclosing_class is None:
            return False
        return any("Lightning" in (dotted(base.value) or "") for base in self._model.enclosing_class.bases)
