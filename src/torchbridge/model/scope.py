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
    # A relative import's reference (``.data.load``), which ``qualnames`` leaves out: the
    # project index resolves it (``project_index``).
    origins: frozenset[str] = frozenset()
    # A join's bindings, one per path that reaches it (``device = 'cpu'`` on one branch,
    # ``device = 'cuda:0'`` on the other), each with ``guarded`` as its path was; at most
    # ``MAX_REACHING`` of them (beyond that, empty: not known).
    reaching: tuple[Binding, ...] = field(default=(), compare=False, repr=False)

    def join(self, other: Binding | None) -> Binding:
        """The binding after two paths meet: the same one, or a merged, value-less one."""
        if other is None or other is self:
            return self
        reaching: list[Binding] | None = None
        mine, theirs = self.paths(), other.paths()
        if mine and theirs:
            reaching = list(mine)
            reaching += [b for b in theirs if not any(b is seen for seen in mine)]
        return Binding(
            name=self.name,
            kind="join",
            qualnames=self.qualnames | other.qualnames,
            origins=self.origins | other.origins,
            guarded=self.guarded and other.guarded,
            facts=self.facts.join(other.facts),
            reaching=tuple(reaching) if reaching is not None and len(reaching) <= MAX_REACHING else (),
        )

    def paths(self) -> tuple[Binding, ...]:
        """The bindings that reach here: a join's (empty where not known), or this one."""
        return self.reaching if self.kind == "join" else (self,)


MAX_REACHING = 16


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

    def join_from(self, other: dict[str, Binding], base: dict[str, Binding],
                  guarded: tuple[bool, bool] = (False, False)) -> None:
        """Merge the current bindings with ``other``, two paths that both started at ``base``.
        ``guarded``: whether the current path and ``other``'s ran under a CUDA guard; a binding
        from before that only such a path kept reaches the join as guarded
        (``device = 'cuda'`` then ``if not torch.cuda.is_available(): device = 'cpu'``)."""
        merged: dict[str, Binding] = {}
        for name in self.bindings.keys() | other.keys():
            mine = self.bindings.get(name)
            theirs = other.get(name)
            if mine is None:
                merged[name] = other[name]
                continue
            if theirs is not None and mine is not theirs:
                mine, theirs = _kept(mine, base.get(name), guarded[0]), _kept(theirs, base.get(name), guarded[1])
            merged[name] = mine.join(theirs)
        self.bindings = merged


def rebind(binding: Binding, **changes: Any) -> Binding:
    return replace(binding, **changes)


def _kept(binding: Binding, before: Binding | None, guarded: bool) -> Binding:
    """The binding a path ends with: the one from before it, seen as guarded where the path was."""
    if guarded and binding is before and not binding.guarded:
        return rebind(binding, guarded=True)
    return binding
