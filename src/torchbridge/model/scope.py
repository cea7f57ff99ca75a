"""Scopes and bindings: which definition a name refers to at a given point."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import libcst as cst

from .values import UNKNOWN, Value


@dataclass(frozen=True)
class Binding:
    """What one name is bound to on the paths that reach the current point."""

    name: str
    kind: str  # import, assign, param, def, class, loop, with, except, join, other
    node: cst.CSTNode | None = None  # the binding site
    value: cst.BaseExpression | None = None  # the assigned expression, for ``name = value``
    qualnames: frozenset[str] = frozenset()  # the known object it aliases (``torch``, ``torch.tensor``)
    guarded: bool = False  # made inside a CUDA guard
    facts: Value = UNKNOWN  # what the bound value is (kind, layout, grad, placement)

    def join(self, other: Binding | None) -> Binding:
        """The binding after two paths meet: the same one, or a merged, value-less one."""
        if other is None or other is self:
            return self
        return Binding(
            name=self.name,
            kind="join",
            qualnames=self.qualnames | other.qualnames,
            guarded=self.guarded and other.guarded,
            facts=self.facts.join(other.facts),
        )


@dataclass
class Scope:
    kind: str  # module, class, function, lambda, comprehension
    node: cst.CSTNode | None
    parent: Scope | None
    bindings: dict[str, Binding] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)

    def snapshot(self) -> dict[str, Binding]:
        return dict(self.bindings)

    def join_from(self, other: dict[str, Binding], base: dict[str, Binding]) -> None:
        """Merge the current bindings with ``other``, two paths that both started at ``base``."""
        merged: dict[str, Binding] = {}
        for name in self.bindings.keys() | other.keys():
            mine = self.bindings.get(name)
            merged[name] = other[name] if mine is None else mine.join(other.get(name))
        self.bindings = merged


def rebind(binding: Binding, **changes: Any) -> Binding:
    return replace(binding, **changes)
