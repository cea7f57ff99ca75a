"""One lean walk over a LibCST tree's semantic fields (``model.tree``).

LibCST's visitor machinery visits every whitespace, comma and bracket node (about 2.5x
the nodes that carry meaning) and costs about as much as the parse itself. This walk
descends only into fields that can hold expressions, statements and the like, and
dispatches ``visit_<Node>`` / ``leave_<Node>`` methods of the rules from a table built
once per run. The semantic model takes over the traversal of the nodes that change
scope, flow or context (see ``model.SemanticModel.traversals``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import libcst as cst

from ..model.tree import NODE_TYPES, SEQUENCES, TEXT_LEAVES, semantic_fields

Handler = Callable[[Any], Any]
# A node type's visitors, its traversal (None: walk its semantic fields), fields, leavers.
_Plan = tuple[tuple[Handler, ...], Callable[[Any], None] | None, tuple[str, ...], tuple[Handler, ...]]


class Dispatcher:
    """Calls every visitor's ``visit_<Type>`` before and ``leave_<Type>`` after a node."""

    def __init__(self, visitors: Iterable[object], traversals: dict[type, Callable[[Any], None]]):
        self.visits: dict[type, list[Handler]] = {}
        self.leaves: dict[type, list[Handler]] = {}
        for visitor in visitors:
            for attr, node_type, is_visit in _handler_names(type(visitor)):
                table = self.visits if is_visit else self.leaves
                table.setdefault(node_type, []).append(getattr(visitor, attr))
        self.traversals = traversals
        self._plans: dict[type, _Plan] = {}
        self._walked = _walked_types(frozenset(self.visits).union(self.leaves, traversals))

    def walk(self, node: cst.CSTNode) -> None:
        # One table lookup per node: its visitors, its traversal (or fields) and its leavers.
        plan = self._plans.get(type(node))
        if plan is None:
            plan = self._plan(type(node))
        visits, traverse, fields, leaves = plan
        for handler in visits:
            handler(node)
        if traverse is not None:
            traverse(node)
        else:
            walked = self._walked
            for name in fields:
                value = getattr(node, name)
                kind = type(value)
                if kind in walked:
                    self.walk(value)
                elif kind in SEQUENCES:
                    for item in value:
                        if type(item) in walked:
                            self.walk(item)
        for handler in leaves:
            handler(node)

    def _plan(self, node_type: type) -> _Plan:
        plan = (
            tuple(self.visits.get(node_type, ())), self.traversals.get(node_type),
            semantic_fields(node_type), tuple(self.leaves.get(node_type, ())),
        )
        self._plans[node_type] = plan
        return plan


# A dict, not @cache: mypy does not take a class for a Hashable cache key.
_HANDLER_NAMES: dict[type, tuple[tuple[str, type, bool], ...]] = {}


def _handler_names(visitor_type: type) -> tuple[tuple[str, type, bool], ...]:
    """A visitor class's ``visit_<Type>`` and ``leave_<Type>`` methods: (name, node type,
    whether it visits), read once per class (``dir`` per rule per check cost more)."""
    found = _HANDLER_NAMES.get(visitor_type)
    if found is None:
        names = []
        for attr in dir(visitor_type):
            prefix, _, type_name = attr.partition("_")
            if prefix not in ("visit", "leave") or not type_name:
                continue
            node_type = getattr(cst, type_name, None)
            if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode):
                names.append((attr, node_type, prefix == "visit"))
        found = _HANDLER_NAMES[visitor_type] = tuple(names)
    return found


@cache
def _walked_types(handled: frozenset[type]) -> frozenset[type]:
    """The node types a walk must call itself for: those a visitor or traversal handles, and
    those with children; a leaf that only holds text and that nothing handles is skipped."""
    return frozenset(t for t in NODE_TYPES if t in handled or t not in TEXT_LEAVES)
