"""The semantic fields of a LibCST tree: the children that carry meaning, without layout.

LibCST's nodes hold whitespace, commas and brackets as nodes too (about 2.5x the nodes
that carry meaning). ``children`` yields only what can hold expressions, statements and
the like; the engine's walk, the model's scanners and the rules all descend this way.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from functools import cache

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
SEQUENCES = (tuple, list)  # the containers a field holds several nodes in


def node_types(*bases: type) -> frozenset[type]:
    """The node types derived from any of ``bases``: ``type(node) in node_types(...)`` is the
    cheap form of ``isinstance`` where a scanner rejects most nodes it sees (a failed
    ``isinstance`` on a LibCST class costs about six times a set lookup, through ``ABCMeta``).

    Found by following ``__subclasses__`` down from each base, as ``NODE_TYPES`` is, not by
    ``issubclass`` over all the node types: each first ``issubclass`` of a pair fills
    ``ABCMeta``'s caches (about 20 ms per base, paid by every command line start-up). LibCST
    registers no virtual subclass, so both give the same set (``tests/engine/test_walk.py``)."""
    found: set[type] = set()
    pending = list(bases)
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return frozenset(found & NODE_TYPES)


EXPRESSIONS = node_types(cst.BaseExpression)


def _holds_only_text(node_type: type) -> bool:
    """Every semantic field of ``node_type`` is a string (``Name.value``, ``Integer.value``):
    its nodes have no children to walk."""
    fields = {f.name: f.type for f in dataclasses.fields(node_type)}
    return all(fields[name] is str for name in semantic_fields(node_type))


# Names, numbers, plain strings, ``pass``: a walk that does nothing at such a node need not
# call itself for it (a third of the nodes of real code are names).
TEXT_LEAVES = frozenset(t for t in NODE_TYPES if _holds_only_text(t))


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The node's children with meaning, in source order. A list, not a generator: most
    callers push them all onto a scan's stack (``pending.extend``), where a list is cheaper
    (0.87x on a scan of 200 Lightning trees; about a million calls per check of Lightning)."""
    found = []
    for name in semantic_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in NODE_TYPES:
            found.append(value)
        elif kind in SEQUENCES:
            for item in value:
                if type(item) in NODE_TYPES:
                    found.append(item)
    return found


def _holds_only_expressions(annotation: object) -> bool:
    """A field declared as an expression class, or as an optional one (``Optional[Name]``):
    its value is an expression or None, never what ``statement_children`` gives. Anything
    else (a sequence, a union with other nodes, a forward reference) is not judged so."""
    if isinstance(annotation, type):
        return issubclass(annotation, cst.BaseExpression)
    if typing.get_origin(annotation) is typing.Union:
        options = [option for option in typing.get_args(annotation) if option is not type(None)]
        return bool(options) and all(isinstance(option, type) and issubclass(option, cst.BaseExpression) for option in options)
    return False


@cache
def _statement_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """``semantic_fields`` less those that can hold only an expression (``If.test``,
    ``Expr.value``, ``Assign.value``): ``statement_children`` never returns what they hold."""
    declared = {f.name: f.type for f in dataclasses.fields(node_type)}
    return tuple(name for name in semantic_fields(node_type) if not _holds_only_expressions(declared[name]))


def statement_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """``children`` that are no expressions, in the same order: what a scan of statements
    descends into (the blocks of ``if``, ``for``, ``with``..., an assignment's targets).
    One loop and a list instead of a generator and a filter over it (0.70x on a scan of
    200 Lightning trees): three scanners call it for every statement of a file. Fields
    declared to hold only expressions are not read at all."""
    found = []
    for name in _statement_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in NODE_TYPES:
            if kind not in EXPRESSIONS:
                found.append(value)
        elif kind in SEQUENCES:
            for item in value:
                kind = type(item)
                if kind in NODE_TYPES and kind not in EXPRESSIONS:
                    found.append(item)
    return found


def walk_children(node: cst.CSTNode, walk: Callable[[cst.CSTNode], None]) -> None:
    # ``children``'s loop without its generator: this runs once per node of every summary's walk.
    for name in semantic_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in NODE_TYPES:
            walk(value)
        elif kind in SEQUENCES:
            for item in value:
                if type(item) in NODE_TYPES:
                    walk(item)
