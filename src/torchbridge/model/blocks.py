"""Scanners of a block's statements: which names it binds, how often, and what a function takes.

Each reads the syntax alone, without the model's state, so the model, the rules and the
fixes ask the same questions the same way. A block's nested blocks (``if``, ``for``,
``with``, ``try``, ``match`` bodies) are its own; nested scopes (functions, classes) are
not, except for the name they bind.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from .names import self_attribute
from .tree import children, statement_children

_SUITES = (cst.Module, cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine)


def assignment_counts(body: cst.CSTNode, declared: set[str] | None = None,
                      in_place: dict[str, int] | None = None) -> dict[str, int]:
    """How many statements of ``body`` (and its nested blocks, not nested scopes) bind each name;
    the names it declares ``global`` or ``nonlocal`` go into ``declared`` when given, and the
    augmented assignments that a tensor runs in place (``w -= g``; ``@=`` makes a new
    object) are counted in ``in_place`` when given."""
    found: dict[str, int] = {}

    def count(names: Iterable[str]) -> None:
        for name in names:
            found[name] = found.get(name, 0) + 1

    pending: list[cst.CSTNode] = [body]
    while pending:
        node = pending.pop()
        # ``type(...) is``: a failed ``isinstance`` on a LibCST class is slow (``tree.node_types``),
        # and most statements here fail several.
        kind = type(node)
        if kind in _SUITES:
            pending.extend(node.body)  # type: ignore[attr-defined]  # each of _SUITES has a body
        elif type(node) is cst.Assign:
            for target in node.targets:
                count(target_names(target.target))
        elif type(node) is cst.AnnAssign or type(node) is cst.AugAssign:
            count(target_names(node.target))
            if (in_place is not None and type(node) is cst.AugAssign and type(node.target) is cst.Name
                    and type(node.operator) is not cst.MatrixMultiplyAssign):
                in_place[node.target.value] = in_place.get(node.target.value, 0) + 1
        elif type(node) is cst.FunctionDef or type(node) is cst.ClassDef:
            count([node.name.value])
        elif type(node) is cst.If or type(node) is cst.While:
            pending.extend(n for n in (node.body, node.orelse) if n is not None)
        elif type(node) is cst.For:
            count(target_names(node.target))
            pending.extend(n for n in (node.body, node.orelse) if n is not None)
        elif type(node) is cst.Else:
            pending.append(node.body)
        elif type(node) is cst.With:
            count(n for item in node.items if item.asname is not None for n in target_names(item.asname.name))
            pending.append(node.body)
        elif type(node) is cst.Try or type(node) is cst.TryStar:
            pending.extend(n for n in (node.body, node.orelse, node.finalbody) if n is not None)
            pending.extend(handler.body for handler in node.handlers)
        elif type(node) is cst.Match:
            pending.extend(case.body for case in node.cases)
        elif (type(node) is cst.Global or type(node) is cst.Nonlocal) and declared is not None:
            declared.update(n.name.value for n in node.names)
    return found


def target_names(target: cst.BaseExpression) -> list[str]:
    if type(target) is cst.Name:
        return [target.value]
    if type(target) is cst.Tuple or type(target) is cst.List:
        return [n for e in target.elements for n in target_names(e.value)]
    if type(target) is cst.StarredElement:
        return target_names(target.value)
    return []


def rebound_in_place(body: cst.CSTNode, walrus: bool = True) -> tuple[set[str], set[str]]:
    """The names a loop body assigns, and of those the ones it rebinds only by augmented
    assignments that a tensor runs in place (``w -= lr * w.grad``: the same object).
    ``walrus``: the text may hold ``:=``, whose targets count too (an expression walk)."""
    in_place: dict[str, int] = {}
    counts = assignment_counts(body, in_place=in_place)
    rebound = set(counts)
    if walrus:
        named = walrus_targets(body)
        rebound |= named
        in_place = {name: count for name, count in in_place.items() if name not in named}
    return rebound, {name for name, count in in_place.items() if counts.get(name) == count}


def walrus_targets(body: cst.CSTNode) -> set[str]:
    """The names ``:=`` binds anywhere in ``body``: in its expressions and comprehensions
    (which bind in the enclosing scope), and, an over-approximation that only forgets more,
    in nested functions and lambdas too."""
    found: set[str] = set()
    pending: list[cst.CSTNode] = [body]
    while pending:
        node = pending.pop()
        if type(node) is cst.NamedExpr and type(node.target) is cst.Name:
            found.add(node.target.value)
        pending.extend(children(node))
    return found


def parameters(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if type(star) is cst.Param:
            found.append(star)
    return found


def argument_map(function: cst.FunctionDef, call: cst.Call, method: bool) -> dict[str, cst.BaseExpression] | None:
    """The expression ``call`` passes to each parameter of ``function`` that it names or
    reaches by position (``method``: the first parameter is ``self``, not passed); None when
    a starred argument makes the positions unknown or the positions run into ``*args``."""
    if any(arg.star for arg in call.args):
        return None
    params = function.params
    positional = [*params.posonly_params, *params.params]
    if method:
        positional = positional[1:]
    passed = [arg.value for arg in call.args if arg.keyword is None]
    if len(passed) > len(positional):
        return None  # the rest goes to *args
    found = {param.name.value: value for param, value in zip(positional, passed)}
    by_name = {param.name.value for param in (*positional, *params.kwonly_params)}
    found.update((arg.keyword.value, arg.value) for arg in call.args
                 if arg.keyword is not None and arg.keyword.value in by_name)
    return found


def captured_names(pattern: cst.MatchPattern) -> list[str]:
    """The names a match pattern binds (``case Point(x=a, y=b)``, ``case [first, *rest]``)."""
    found = []
    stack: list[cst.CSTNode] = [pattern]
    while stack:
        node = stack.pop()
        if (type(node) is cst.MatchAs or type(node) is cst.MatchStar) and type(node.name) is cst.Name:
            found.append(node.name.value)
        if type(node) is cst.MatchMapping and type(node.rest) is cst.Name:
            found.append(node.rest.value)
        stack.extend(children(node))
    return found


def self_assignment_counts(body: cst.BaseSuite) -> dict[str, int]:
    """How many statements in the class's methods assign each ``self.<name>``."""
    found: dict[str, int] = {}
    pending: list[cst.CSTNode] = [body]
    while pending:
        node = pending.pop()
        if type(node) is cst.Assign:
            targets = [t.target for t in node.targets]
        elif type(node) is cst.AnnAssign or type(node) is cst.AugAssign:
            targets = [node.target]
        else:
            if type(node) is not cst.ClassDef:
                pending.extend(statement_children(node))
            continue
        for target in targets:
            name = self_attribute(target)
            if name is not None:
                found[name] = found.get(name, 0) + 1
    return found
