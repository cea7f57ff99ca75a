"""What each item of a list comprehension is, for a rule's question about the list:
``np.mean([criterion(model(x), y) for x, y in zip(xs, ys)])``, ``np.array([t * 2 for t in
losses])`` where ``losses`` was filled with ``.append`` in the function.

The value model's own answer (``Evaluator._element``) values an item only when it reads
none of the comprehension's variables, and keeps only its kind and placement. Here the item
is valued with every fact the model proves (grad too), its variables bound to what iterating
their iterables gives at the point of the question: a list's elements (a display, its
appends: ``lists.element_value``), the rows of a tensor or of an array of two or more
dimensions, and through ``zip(...)``
and ``enumerate(...)`` the same per position. A variable whose iterable proves nothing is
unknown, so an item that depends on it is unknown too.

The comprehension is evaluated where the question is asked, so this answers only for a
comprehension written at that point (an argument of the call asked about), not for one
bound to a name earlier. An inner ``for`` whose iterable reads an outer variable
(``for row in rows for x in row``) is not followed: the answer is unknown. Filters
(``if ...``) only drop items and are ignored. Computed only when a rule asks, and kept per
comprehension for the model that asked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .names import dotted, names_in
from .values import UNKNOWN, Kind, Value

if TYPE_CHECKING:
    from .semantic import SemanticModel


def item_value(model: SemanticModel, comprehension: cst.ListComp) -> Value:
    """What every item of ``comprehension`` is, asked at this point; UNKNOWN when the model
    cannot tell."""
    known = model.comprehension_items.get(id(comprehension))
    if known is None:
        known = model.comprehension_items[id(comprehension)] = _item_value(model, comprehension)
    return known


def _item_value(model: SemanticModel, comprehension: cst.ListComp) -> Value:
    bound: dict[str, Value] = {}
    variables: set[str] = set()
    for_in: cst.CompFor | None = comprehension.for_in
    while for_in is not None:
        if for_in.asynchronous is not None or names_in(for_in.iter) & variables:
            return UNKNOWN  # an inner iterable of an outer variable: not followed
        targets = names_in(for_in.target)
        if not _bind(model, for_in.target, for_in.iter, bound):
            return UNKNOWN
        variables |= targets
        for_in = for_in.inner_for_in
    with model.comprehension_scope(comprehension, bound):
        return model.evaluator.value(comprehension.elt)


def _bind(model: SemanticModel, target: cst.BaseExpression, iterable: cst.BaseExpression,
          bound: dict[str, Value]) -> bool:
    """Record in ``bound`` what each name of ``target`` holds when iterating ``iterable``
    (unknown where the model cannot tell); False for a target that is not names."""
    if type(target) is cst.Name:
        bound[target.value] = _element(model, iterable)
        return True
    if type(target) is not cst.Tuple and type(target) is not cst.List:
        return False  # ``for self.x in ...``, ``for d[k] in ...``: writes, not followed
    elements = target.elements
    if any(type(e) is cst.StarredElement for e in elements):
        return False
    parts = _parallel_parts(iterable, len(elements))
    for position, element in enumerate(elements):
        part = parts[position] if parts is not None else None
        if part is None:
            if not _bind_unknown(element.value, bound):
                return False
        elif not _bind(model, element.value, part, bound):
            return False
    return True


def _parallel_parts(iterable: cst.BaseExpression, count: int) -> list[cst.BaseExpression | None] | None:
    """The iterable that gives each position of a tuple target: ``zip(xs, ys)`` gives ``xs``
    and ``ys``; ``enumerate(xs)`` an index (not followed) and ``xs``."""
    if type(iterable) is not cst.Call or any(a.star or a.keyword is not None for a in iterable.args):
        return None
    callee = dotted(iterable.func)
    parts: list[cst.BaseExpression | None] = [a.value for a in iterable.args]
    if callee == "zip" and len(parts) == count:
        return parts
    if callee == "enumerate" and len(parts) == 1 and count == 2:
        return [None, parts[0]]
    return None


def _bind_unknown(target: cst.BaseExpression, bound: dict[str, Value]) -> bool:
    if type(target) is cst.Name:
        bound[target.value] = UNKNOWN
        return True
    if type(target) is cst.Tuple or type(target) is cst.List:
        return all(type(e) is not cst.StarredElement and _bind_unknown(e.value, bound) for e in target.elements)
    return False


def _element(model: SemanticModel, iterable: cst.BaseExpression) -> Value:
    """What iterating ``iterable`` gives: a list's elements where the model knows them all,
    else what the evaluator says one step over it gives (a tensor's rows, an array's rows or
    NumPy scalars)."""
    from .lists import element_value  # lists asks this module back for a comprehension's items

    found = element_value(model, iterable)
    if found.kind is not Kind.UNKNOWN:
        return found
    return model.evaluator.element_of(iterable)
