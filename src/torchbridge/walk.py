"""One lean walk over a LibCST tree's semantic fields.

LibCST's visitor machinery visits every whitespace, comma and bracket node (about 2.5x
the nodes that carry meaning) and costs about as much as the parse itself. This walk
descends only into fields that can hold expressions, statements and the like, and
dispatches ``visit_<Node>`` / ``leave_<Node>`` methods of the rules from a table built
once per run. The semantic model takes over the traversal of the nodes that change
scope, flow or context (see ``model.SemanticModel.traversals``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any

import libcst as cst

# Fields that hold only layout or punctuation, or an operator token the rules read
# straight off their parent (``BinaryOperation.operator``).
_LAYOUT_FIELDS = frozenset(
    {
        "lpar", "rpar", "comma", "semicolon", "colon", "lbracket", "rbracket", "lbrace",
        "rbrace", "leading_lines", "lines_after_decorators", "header", "footer",
        "trailing_whitespace", "equal", "star", "dot", "relative", "operator", "at",
        "asynchronous", "first_colon", "second_colon", "newline", "indent", "default_indent",
        "default_newline", "encoding", "has_trailing_newline", "empty_lines", "first_line",
        "last_line", "trailing_comma", "posonly_ind", "conversion", "walrus", "arrow",
    }
)


@cache
def semantic_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """The fields of ``node_type`` that can hold nodes with meaning, in source order."""
    return tuple(
        f.name
        for f in dataclasses.fields(node_type)
        if f.name not in _LAYOUT_FIELDS and not f.name.startswith("whitespace")
    )


def _node_types() -> frozenset[type]:
    found: set[type] = set()
    pending = [cst.CSTNode]
    while pending:
        cls = pending.pop()
        found.add(cls)
        pending.extend(cls.__subclasses__())
    return frozenset(found)


# ``isinstance(x, cst.CSTNode)`` goes through ABC machinery; a set lookup on the exact type
# is several times cheaper, and this test runs for every field of every node.
NODE_TYPES = _node_types()
_SEQUENCES = (tuple, list)


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for name in semantic_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in NODE_TYPES:
            yield value
        elif kind in _SEQUENCES:
            for item in value:
                if type(item) in NODE_TYPES:
                    yield item


def walk_children(node: cst.CSTNode, walk: Callable[[cst.CSTNode], None]) -> None:
    for child in children(node):
        walk(child)


Handler = Callable[[Any], Any]


class Dispatcher:
    """Calls every visitor's ``visit_<Type>`` before and ``leave_<Type>`` after a node."""

    def __init__(self, visitors: Iterable[object], traversals: dict[type, Callable[[Any], None]]):
        self.visits: dict[type, list[Handler]] = {}
        self.leaves: dict[type, list[Handler]] = {}
        for visitor in visitors:
            for attr in dir(type(visitor)):
                prefix, _, type_name = attr.partition("_")
                if prefix not in ("visit", "leave") or not type_name:
                    continue
                node_type = getattr(cst, type_name, None)
                if not (isinstance(node_type, type) and issubclass(node_type, cst.CSTNode)):
                    continue
                table = self.visits if prefix == "visit" else self.leaves
                table.setdefault(node_type, []).append(getattr(visitor, attr))
        self.traversals = traversals

    def walk(self, node: cst.CSTNode) -> None:
        node_type = type(node)
        for handler in self.visits.get(node_type, ()):
            handler(node)
        traverse = self.traversals.get(node_type)
        if traverse is not None:
            traverse(node)
        else:
            for name in semantic_fields(node_type):
                value = getattr(node, name)
                kind = type(value)
                if kind in NODE_TYPES:
                    self.walk(value)
                elif kind in _SEQUENCES:
                    for item in value:
                        if type(item) in NODE_TYPES:
                            self.walk(item)
        for handler in self.leaves.get(node_type, ()):
            handler(node)
