"""Which loops run once per sample, and which values in them are one sample.

A loop is per sample when it iterates over data the model knows: the rows of an ndarray or
a tensor, a list or tuple whose elements are arrays or tensors, a name that says it is a
dataset (as ``dataset[i]`` does) when a comprehension takes all of it, ``range(len(xs))`` (or a bound of
``xs.shape[0]``, ``xs.size(0)``, ``min(n, len(xs))``) reading ``xs[i]`` of such data, or
``dataset[i]``. Iterating over a DataLoader, a dict's items, a
list of settings or anything unknown is not: those give batches, fields or
configurations. Comprehensions count as loops. Inside such a loop, the loop variable and
every name assigned from it hold one sample, and so do the parts of one sample that an
inner loop or comprehension takes in turn (``for v in sample``, ``for k, v in
sample.items()``, ``sample.values()``): moving each of them is still a transfer per sample.

The chunks of ``torch.split``, ``torch.chunk`` and ``tensor_split`` (and their methods) are
batches, not samples: code splits a tensor to bound the memory one step needs. They count
as samples only when the split size is literally 1 along the first dimension and the tensor
split is proven to be on the host; iterating a tensor itself, or its ``unbind``, gives rows.

A ``for`` loop whose body ends with an assertion (an ``assert`` statement, or a call of
``self.assertEqual``, ``np.testing.assert_allclose``, ``torch.testing.assert_close``) is no
per-sample loop either: it tests behaviour step by step (a streaming
metric updated and checked after each input), so each step's transfer is part of what is
tested, and batching the inputs would remove the checks between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst

from .names import dotted, first_argument, keyword_argument, literal_int, names_in
from .tree import children
from .values import Kind

if TYPE_CHECKING:
    from .semantic import SemanticModel

# A data collection, or what one step over a list of them gives. Any step over an array or a
# tensor is one sample, whatever it is (a row, or an element of a 1-d array).
_DATA = frozenset({Kind.NDARRAY, Kind.TENSOR})
# enumerate(xs), zip(xs, ys), reversed(xs), sorted(xs): still one element at a time.
_ELEMENTWISE_WRAPPERS = frozenset({"enumerate", "zip", "reversed", "sorted"})
# A dict's views that give its values (with ``items`` the value is the second of each pair).
_VALUE_VIEWS = frozenset({"items", "values"})
# Calls that cut a tensor into pieces along a dimension: each piece is a batch of rows.
_SPLITTING_FUNCTIONS = frozenset({"torch.split", "torch.chunk", "torch.tensor_split"})
_SPLITTING_METHODS = frozenset({"split", "chunk", "tensor_split"})


@dataclass
class SampleLoop:
    node: cst.CSTNode = field(repr=False)
    names: set[str] = field(default_factory=set)  # names that hold one sample
    index: str | None = None  # the index of a range(...) loop
    indexed: set[str] = field(default_factory=set)  # containers whose [index] is one sample


def sample_loop(node: cst.CSTNode, target: cst.BaseExpression, iterable: cst.BaseExpression,
                model: SemanticModel) -> SampleLoop | None:
    """The per-sample reading of ``for target in iterable``, or None for other loops."""
    loop = _over_samples(node, target, iterable, model)
    if loop is not None and type(node) is cst.For and _asserts_each_step(node):
        return None  # a step-by-step test: the steps are its subject
    return loop


def _over_samples(node: cst.CSTNode, target: cst.BaseExpression, iterable: cst.BaseExpression,
                  model: SemanticModel) -> SampleLoop | None:
    """What ``sample_loop`` says, before a step-by-step test is set aside."""
    element_of = model.evaluator.element_of
    targets = names_in(target)
    if any("batch" in name.lower() for name in targets):
        return None  # named for what it is: a batch, whatever the collection
    inner = iterable
    while type(inner) is cst.Call and dotted(inner.func) in _ELEMENTWISE_WRAPPERS and inner.args:
        inner = inner.args[0].value
    if type(inner) is cst.Call and dotted(inner.func) == "range":
        return _range_loop(node, target, inner, model)
    if (model.value_of(inner).kind in _DATA or element_of(inner).kind in _DATA) and not _list_parameter(model, inner) and not _split_into_batches(model, inner):
        return SampleLoop(node, names=targets)
    if _named_dataset(inner) and type(node) is not cst.For:
        # A comprehension over a dataset takes all of it, one sample at a time (preloading it);
        # a ``for`` loop over something named a dataset may be reading a stream (a webcam, a
        # video) or a loader's batches, where one item per step is the point.
        return SampleLoop(node, names=targets)
    return None


def _asserts_each_step(loop: cst.For) -> bool:
    """The loop body ends by checking the step's result: its last statement is an assertion
    (``assert ...``, or a call of an assertion function: unittest's ``self.assert*``,
    ``numpy.testing.assert_*``, ``torch.testing.assert_close``). An assertion before the
    work (``assert x.ndim == 3`` on each input) validates the samples and is no such test."""
    body = loop.body
    if type(body) is cst.SimpleStatementSuite:
        last_line: cst.CSTNode | None = body  # for x in xs: step(x); assert check(x)
    else:
        last_line = body.body[-1] if body.body else None
    if type(last_line) is not cst.SimpleStatementLine and type(last_line) is not cst.SimpleStatementSuite:
        return False
    small = last_line.body[-1] if last_line.body else None
    return type(small) is cst.Assert or type(small) is cst.Expr and type(small.value) is cst.Call \
        and (dotted(small.value.func) or "").rpartition(".")[2].startswith("assert")


def _named_dataset(expr: cst.BaseExpression) -> bool:
    """``dataset``, ``self.train_dataset``: named for a dataset, and not for a loader of one."""
    name = (dotted(expr) or "").rpartition(".")[2].lower()
    return "dataset" in name and "loader" not in name


def _list_parameter(model: SemanticModel, expr: cst.BaseExpression) -> bool:
    """``images: list[torch.Tensor]`` handed in: in real code a few inputs of different sizes
    (reference images, ragged embeddings), not a dataset's samples."""
    if type(expr) is not cst.Name:
        return False
    binding = model.lookup(expr.value)
    return binding is not None and binding.kind == "param" and binding.facts.kind in (Kind.LIST, Kind.TUPLE)


def _split_into_batches(model: SemanticModel, expr: cst.BaseExpression) -> bool:
    """``expr`` holds the pieces of a split tensor (``torch.split(x, n)``, ``x.chunk(k)``, or a
    name bound to one here) that are not proven single samples: only ``split`` with a size of
    literally 1 along dimension 0, of a tensor proven to be on the host, gives samples."""
    if type(expr) is cst.Name:
        binding = model.lookup(expr.value)
        if binding is None or binding.kind != "assign" or binding.value is None:
            return False
        expr, pieces = binding.value, binding.facts  # the facts as assigned: the name may be the split's input too
    elif type(expr) is cst.Call:
        pieces = model.value_of(expr)
    else:
        return False
    if type(expr) is not cst.Call or pieces.result is None or pieces.result.kind is not Kind.TENSOR:
        return False
    func = expr.func
    function = model.qualnames(func) & _SPLITTING_FUNCTIONS
    if function:
        name, source, arguments = min(function), first_argument(expr), expr.args[1:]
    elif type(func) is cst.Attribute and func.attr.value in _SPLITTING_METHODS:
        name, source, arguments = func.attr.value, func.value, expr.args  # pieces of tensors: a tensor's method
    else:
        return False
    if name.rpartition(".")[2] != "split":
        return True  # chunk(k), tensor_split(k): k pieces, whose size the code does not show
    positional = [a.value for a in arguments if a.keyword is None and not a.star]
    size = keyword_argument(expr, "split_size_or_sections") or keyword_argument(expr, "split_size") \
        or (positional[0] if positional else None)
    dim = keyword_argument(expr, "dim") or (positional[1] if len(positional) > 1 else None)
    if literal_int(size) != 1 or (dim is not None and literal_int(dim) != 0):
        return True
    # On the host: the model proves it, or the split tensor is written as moved there (x.cpu()).
    moved_to_host = type(source) is cst.Call and type(source.func) is cst.Attribute and source.func.attr.value == "cpu"
    return pieces.result.on_device is not False and not moved_to_host


def _range_loop(node: cst.CSTNode, target: cst.BaseExpression, call: cst.Call,
                model: SemanticModel) -> SampleLoop | None:
    element_of, value_of = model.evaluator.element_of, model.value_of
    if type(target) is not cst.Name:
        return None
    indexed: set[str] = set()
    # range(n), range(0, n), range(0, n, step): the stop bounds the index
    bound = call.args[0].value if len(call.args) == 1 else call.args[1].value if len(call.args) > 1 else None
    for container in _measured(bound):
        name = dotted(container)
        if name is not None and (value_of(container).kind in _DATA or element_of(container).kind in _DATA) \
                and not _split_into_batches(model, container):
            indexed.add(name)
    return SampleLoop(node, index=target.value, indexed=indexed)


def _measured(bound: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    """The containers whose length a range's bound is: ``len(xs)``, ``xs.shape[0]``,
    ``xs.size(0)``, and each side of ``min(n, len(xs))``."""
    if type(bound) is cst.Call:
        callee = dotted(bound.func)
        positional = [a.value for a in bound.args if a.keyword is None and not a.star]
        if callee == "len" and len(positional) == 1:
            return positional
        if callee == "min":
            return [container for part in positional for container in _measured(part)]
        if type(bound.func) is cst.Attribute and bound.func.attr.value == "size" and _is_zero(positional):
            return [bound.func.value]  # xs.size(0)
    if type(bound) is cst.Subscript and len(bound.slice) == 1 and isinstance(bound.slice[0].slice, cst.Index) \
            and _is_zero([bound.slice[0].slice.value]) and type(bound.value) is cst.Attribute \
            and bound.value.attr.value == "shape":
        return [bound.value.value]  # xs.shape[0]
    return []


def _is_zero(arguments: list[cst.BaseExpression]) -> bool:
    return len(arguments) == 1 and isinstance(arguments[0], cst.Integer) and arguments[0].value == "0"


def sample_parts(loop: SampleLoop, target: cst.BaseExpression, iterable: cst.BaseExpression) -> set[str]:
    """The names of ``target`` that hold a part of one sample of ``loop`` when an inner loop
    takes ``iterable`` apart: ``for v in sample``, ``for v in xs[i]``, ``for k, v in sample.items()`` (the value,
    not the key), ``for v in sample.values()``. Empty for anything else, and for a target
    named for a batch."""
    if any("batch" in name.lower() for name in names_in(target)):
        return set()
    view = None
    if type(iterable) is cst.Call and type(iterable.func) is cst.Attribute and not iterable.args \
            and iterable.func.attr.value in _VALUE_VIEWS:
        view, iterable = iterable.func.attr.value, iterable.func.value
    one = (type(iterable) is cst.Name and iterable.value in loop.names
           or type(iterable) is cst.Subscript and is_one_sample(loop, iterable))  # xs[i]
    if not one:
        return set()
    if view == "items":
        if not (type(target) is cst.Tuple or type(target) is cst.List) or len(target.elements) != 2:
            return set()
        return names_in(target.elements[1].value)
    return names_in(target)


def is_one_sample(loop: SampleLoop, expr: cst.CSTNode) -> bool:
    """``expr`` reads a sample of ``loop``: a sample name, ``xs[i]`` or ``dataset[i]``."""
    if loop.names & names_in(expr):
        return True
    if loop.index is None:
        return False
    stack = [expr]
    while stack:
        node = stack.pop()
        if type(node) is cst.Subscript and _indexes_with(node, loop.index):
            container = dotted(node.value) or ""
            if container in loop.indexed or "dataset" in container.lower():
                return True
        stack.extend(children(node))
    return False


def _indexes_with(node: cst.Subscript, index: str) -> bool:
    return any(type(e.slice) is cst.Index and index in names_in(e.slice.value) for e in node.slice)
