"""The grad mode a module-level function runs in, from the places the module calls it.

A helper whose every use in the module is a call under ``torch.no_grad()`` (a ``with``
block, or a function decorated with it, or a hook the framework runs without grad) runs
without grad: its body is walked that way. A helper called both with and without grad, or
called without grad in one place and used otherwise (passed as a callback) in another, runs
in an unknown grad mode. A helper no call of the module runs without grad keeps the
model's assumption for every function body: grad on.

The scan reads the syntax before the walk, with names resolved through the module's
imports (``import torch``, ``from torch import no_grad``). A call inside another function
counts in that function's own context: grad on, unless a ``with`` or a decorator around it
turns grad off (the context its own callers give it is not followed). Callers in other
modules are not seen: a public helper that the module calls only under ``no_grad`` may be
called with grad on elsewhere, and is then judged as if it ran without grad (a missed
finding at worst: no rule proves anything from grad being off).

Only files that mention a grad-off context are scanned: first their statements, for a call
of a module-level function inside a grad-off region; only then every use, through the
whole module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import libcst as cst

from . import grad_mode, returns
from .names import dotted
from .tree import EXPRESSIONS, children, statement_children

if TYPE_CHECKING:
    from .semantic import SemanticModel

# Words a file must contain before a helper can be called without grad.
_GRAD_OFF_WORDS = ("no_grad", "inference_mode", "set_grad_enabled", "validation_step", "test_step", "predict_step")


def mentions_grad_off(text: str) -> bool:
    return any(word in text for word in _GRAD_OFF_WORDS)


class CallContexts:
    """For each module-level function: OFF, UNDECIDED, or None (grad on, as assumed)."""

    def __init__(self, model: SemanticModel) -> None:
        self._model = model
        self._modes: dict[str, str] | None = None

    def mode_of(self, name: str) -> str | None:
        if self._modes is None:
            module = self._model.module
            self._modes = _scan(module, self._model) if module is not None else {}
        return self._modes.get(name)


def _scan(module: cst.Module, model: SemanticModel) -> dict[str, str]:
    functions = {
        s.name.value for s in module.body
        if type(s) is cst.FunctionDef and model.summaries.is_top_level(s)
    }
    if not functions:
        return {}

    def resolve(expr: cst.BaseExpression) -> frozenset[str]:
        return model.imported_qualnames(expr)

    if not _called_without_grad(module, functions, model, resolve):
        return {}  # no call in a grad-off region: every function keeps grad on

    # The mode of each use of a function: "off" / "on" / "unknown" for a call, "other" for
    # any other use (a callback, an attribute read).
    uses: dict[str, list[str]] = {}
    pending: list[tuple[cst.CSTNode, str]] = [(module, "on")]
    while pending:
        node, mode = pending.pop()
        if type(node) is cst.Name:
            if node.value in functions:
                uses.setdefault(node.value, []).append("other")
            continue
        if type(node) is cst.Call and type(node.func) is cst.Name and node.func.value in functions:
            uses.setdefault(node.func.value, []).append(mode)
            pending.extend((child, mode) for child in children(node) if child is not node.func)
            continue
        if type(node) is cst.FunctionDef:
            # Its body runs when it is called: grad on as assumed, unless a decorator says off.
            inner = "off" if _runs_without_grad(node, model, resolve) else "on"
            pending.extend((child, mode) for child in node.decorators)
            pending.extend((child, mode) for child in children(node.params))
            pending.append((node.body, inner))
            continue
        if type(node) is cst.With:
            modes = {model.grad_mode.of(item.item, resolve) for item in node.items}
            inner = "unknown" if grad_mode.UNDECIDED in modes else ("off" if grad_mode.OFF in modes else mode)
            pending.extend((item, mode) for item in node.items)
            pending.append((node.body, inner))
            continue
        pending.extend((child, mode) for child in children(node))
    found: dict[str, str] = {}
    for name, seen in uses.items():
        if all(use == "off" for use in seen):
            found[name] = grad_mode.OFF
        elif not set(seen) <= {"on", "other"}:
            found[name] = grad_mode.UNDECIDED
    return found


def _called_without_grad(module: cst.Module, functions: set[str], model: SemanticModel,
                         resolve: Callable[[cst.BaseExpression], frozenset[str]]) -> bool:
    """Some function of ``functions`` is called inside a ``with`` that changes the grad mode
    or a function decorated to run without grad: a walk of the statements, which enters
    expressions only inside such regions."""
    pending: list[cst.CSTNode] = [module]
    while pending:
        node = pending.pop()
        if (type(node) is cst.With or type(node) is cst.FunctionDef) and _is_grad_region(node, model, resolve) \
                and _calls_any(node.body, functions):
            return True
        if type(node) not in EXPRESSIONS:
            pending.extend(statement_children(node))
    return False


def _is_grad_region(node: cst.With | cst.FunctionDef, model: SemanticModel,
                    resolve: Callable[[cst.BaseExpression], frozenset[str]]) -> bool:
    if isinstance(node, cst.With):
        return any(model.grad_mode.of(item.item, resolve) is not None for item in node.items)
    return _runs_without_grad(node, model, resolve)


def _calls_any(body: cst.CSTNode, functions: set[str]) -> bool:
    pending = [body]
    while pending:
        node = pending.pop()
        if type(node) is cst.Call and type(node.func) is cst.Name and node.func.value in functions:
            return True
        pending.extend(children(node))
    return False


def _runs_without_grad(node: cst.FunctionDef, model: SemanticModel,
                       resolve: Callable[[cst.BaseExpression], frozenset[str]]) -> bool:
    if any(model.grad_mode.of(d.decorator, resolve) == grad_mode.OFF for d in node.decorators):
        return True
    # A Lightning hook runs without grad; the scan does not track the class, so it asks
    # only the hook's name and a Lightning base of some class of the module.
    return node.name.value in returns.LIGHTNING_NO_GRAD_HOOKS and _has_lightning_class(model)


def _has_lightning_class(model: SemanticModel) -> bool:
    module = model.module
    return module is not None and any(
        type(s) is cst.ClassDef and any("Lightning" in (dotted(b.value) or "") for b in s.bases)
        for s in module.body
    )
