"""Aliasing proofs for fixes that share memory instead of copying it (the fix contract's
"fresh array" and "dead after use").

Both answer conservatively: False whenever the syntax leaves room for doubt. They run only
for findings that carry such a fix, so a scan of the enclosing function is affordable.
"""

from __future__ import annotations

import libcst as cst

from .catalogue import FRESH_ARRAYS
from .names import dotted, keyword_argument
from .tree import children

# NumPy calls that return new, writable memory that nothing else refers to: the catalogue's
# fresh arrays. Not ``np.ascontiguousarray`` (the same array when it is already contiguous),
# ``np.frombuffer`` (the buffer's memory), ``np.diag`` (a view) or ``np.asarray``.
_NUMPY_LOAD = "numpy.load"
_FRESH_METHODS = frozenset({"copy", "astype", "flatten"})  # each copies unless told copy=False
_ARITHMETIC = (cst.BinaryOperation, cst.UnaryOperation)
_LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec", "globals"})


def is_fresh_expression(model, expr: cst.BaseExpression) -> bool:
    """``expr`` (already known to be an ndarray) makes new memory that only it refers to."""
    if isinstance(expr, _ARITHMETIC):
        return True  # the result of NumPy arithmetic is a new array
    if type(expr) is not cst.Call:
        return False
    copy = keyword_argument(expr, "copy")
    if copy is not None and not (type(copy) is cst.Name and copy.value == "True"):
        return False
    func = expr.func
    if type(func) is cst.Attribute and func.attr.value in _FRESH_METHODS and not model.qualnames(func):
        return True
    names = model.qualnames(func)
    if _NUMPY_LOAD in names:
        mmap = keyword_argument(expr, "mmap_mode")
        return mmap is None or (type(mmap) is cst.Name and mmap.value == "None")
    return not names.isdisjoint(FRESH_ARRAYS)


def shares_unobservably(model, source: cst.BaseExpression) -> bool:
    """Sharing ``source``'s memory instead of copying it cannot be observed: a fresh array
    used nowhere else."""
    if type(source) is cst.Name:
        return dead_after_use(model, source)
    return is_fresh_expression(model, source)


def dead_after_use(model, name: cst.Name) -> bool:
    """``name`` is bound once in this function, to a fresh array, and this is its only use:
    not captured, stored, returned or passed elsewhere, and not in a loop its definition is
    outside of."""
    function = model.function
    binding = model.lookup(name.value)
    if function is None or binding is None or model.scope.bindings.get(name.value) is not binding:
        return False  # module-level names are globals: other modules may read them
    definition = binding.node
    if binding.kind != "assign" or type(definition) is not cst.Assign or len(definition.targets) != 1:
        return False
    if not isinstance(definition.targets[0].target, cst.Name) or not is_fresh_expression(model, definition.value):
        return False
    occurrences = 0
    use_loop = definition_loop = None
    found_use = found_definition = False
    # Every Name spelled like ``name`` in the function (closures, ``del``, ``global`` included)
    # must be the definition's target or this use.
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(function.body, None)]
    while stack:
        node, loop = stack.pop()
        if type(node) is cst.Name:
            if node.value == name.value:
                occurrences += 1
                if node is name:
                    use_loop, found_use = loop, True
            continue
        if type(node) is cst.Call and dotted(node.func) in _INTROSPECTION:
            return False
        if node is definition:
            definition_loop, found_definition = loop, True
        inner = node if isinstance(node, _LOOPS) else loop
        for child in children(node):
            # A loop's iterable is evaluated once, outside the loop's repetition.
            stack.append((child, loop if type(node) is cst.For and child is node.iter else inner))
    return occurrences == 2 and found_use and found_definition and use_loop is definition_loop

