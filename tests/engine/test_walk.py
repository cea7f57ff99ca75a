"""The engine's walk: a visitor meets every node of its type, leaves included, though the
walk skips leaves that nothing handles."""

from __future__ import annotations

import libcst as cst
from conftest import FIXTURES

from torchbridge.engine.walk import Dispatcher
from torchbridge.model.tree import (
    EXPRESSIONS,
    NODE_TYPES,
    TEXT_LEAVES,
    _statement_fields,
    children,
    node_types,
    semantic_fields,
    statement_children,
)

SOURCES = sorted(FIXTURES.rglob("*.py"))


class _Everything(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: list[str] = []
        self.leaves: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if type(node) is cst.Name:
            self.names.append(node.value)
        if type(node) in TEXT_LEAVES:
            self.leaves.append(node)
        return True


class _Names:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def visit_Name(self, node: cst.Name) -> None:
        self.seen.append(node.value)


def test_a_visitor_of_names_meets_every_name() -> None:
    assert SOURCES
    for path in SOURCES:
        module = cst.parse_module(path.read_text("utf-8"))
        everything = _Everything()
        module.visit(everything)
        names = _Names()
        Dispatcher([names], {}).walk(module)
        assert sorted(names.seen) == sorted(everything.names), path  # the walk goes field by field, LibCST in source order


def test_text_leaves_have_no_children() -> None:
    leaves = 0
    for path in SOURCES:
        everything = _Everything()
        cst.parse_module(path.read_text("utf-8")).visit(everything)
        for node in everything.leaves:
            assert list(children(node)) == [], (path, node)
        leaves += len(everything.leaves)
    assert leaves
    assert cst.Name in TEXT_LEAVES and cst.Call not in TEXT_LEAVES and cst.Attribute not in TEXT_LEAVES


def test_statement_children_are_the_children_that_are_no_expressions_in_order() -> None:
    """``statement_children`` is the scanners' old filter over ``children``, node for node."""
    checked = 0
    for path in SOURCES:
        module = cst.parse_module(path.read_text("utf-8"))
        pending: list[cst.CSTNode] = [module]
        while pending:
            node = pending.pop()
            expected = [id(child) for child in children(node) if type(child) not in EXPRESSIONS]
            assert [id(child) for child in statement_children(node)] == expected, (path, node)
            checked += bool(expected)
            pending.extend(children(node))
    assert checked


def test_node_types_are_the_types_issubclass_accepts() -> None:
    """``node_types`` follows ``__subclasses__``; ``issubclass`` would also accept a virtual
    subclass registered with an ABC. For every node type as a base, and for pairs, the two agree."""
    bases = sorted(NODE_TYPES, key=lambda t: t.__qualname__)
    assert len(bases) > 100
    for base in bases:
        assert node_types(base) == frozenset(t for t in NODE_TYPES if issubclass(t, base)), base
    pair = (cst.BaseStatement, cst.BaseSmallStatement)
    assert node_types(*pair) == frozenset(t for t in NODE_TYPES if issubclass(t, pair))
    assert cst.Name in node_types(cst.BaseExpression) and cst.If not in node_types(cst.BaseExpression)


def test_statement_fields_leave_out_only_fields_declared_as_expressions() -> None:
    """What ``statement_children`` does not read: ``If.test``, ``Expr.value``, ``Return.value``
    (optional), never a block, a sequence or a field that may hold a statement."""
    assert _statement_fields(cst.If) == ("body", "orelse")
    assert _statement_fields(cst.Expr) == ()
    assert _statement_fields(cst.Return) == ()
    assert _statement_fields(cst.Assign) == ("targets",)
    assert "params" in _statement_fields(cst.FunctionDef) and "name" not in _statement_fields(cst.FunctionDef)
    for node_type in NODE_TYPES:
        assert set(_statement_fields(node_type)) <= set(semantic_fields(node_type)), node_type
