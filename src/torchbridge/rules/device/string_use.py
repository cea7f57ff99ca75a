"""Whether a device name is also used as a string, where a ``torch.device`` would break.

``device = 'cuda'`` is often read as text too: ``'cuda' in device`` (TypeError on a
``torch.device``), ``device.startswith('cuda')`` (AttributeError), ``device == 'cuda'``
(always False for a ``torch.device``), ``f"{device}"``, ``type(device)`` checks, and config
overrides that assert the type is unchanged (``exec`` / ``globals()``, nanoGPT's
configurator). Such a name must stay a ``str``: the fix then uses the bare-string idiom.
"""

from __future__ import annotations

import libcst as cst

from ...model.names import dotted, string_value
from ...model.tree import children

# A torch.device has these; any other attribute read means a str method.
_DEVICE_ATTRIBUTES = frozenset({"type", "index"})
_STRING_OPERATORS = (cst.Add, cst.Modulo)
_TYPE_CHECKS = frozenset({"type", "isinstance", "len"})
# Whole-module signs that globals may be overridden under a type check.
_OVERRIDES = ("exec(", "globals()")


def used_as_string(module: cst.Module | None, name: str, text: str) -> bool:
    """``name`` is read as text somewhere in ``module`` (scanned whole: conservative)."""
    if module is None:
        return True
    if any(sign in text for sign in _OVERRIDES):
        return True
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if _string_use(node, name):
            return True
        stack.extend(children(node))
    return False


def _is(expr: cst.CSTNode, name: str) -> bool:
    return type(expr) is cst.Name and expr.value == name


def _textual(expr: cst.BaseExpression) -> bool:
    return string_value(expr) is not None or (type(expr) is cst.FormattedString or type(expr) is cst.ConcatenatedString)


def _string_use(node: cst.CSTNode, name: str) -> bool:
    if type(node) is cst.Comparison:
        operands = [node.left, *(target.comparator for target in node.comparisons)]
        if not any(_is(operand, name) for operand in operands):
            return False
        for target in node.comparisons:
            if type(target.operator) is cst.In or type(target.operator) is cst.NotIn:
                return True
        return any(_textual(operand) for operand in operands)
    if type(node) is cst.Attribute:
        return _is(node.value, name) and node.attr.value not in _DEVICE_ATTRIBUTES
    if type(node) is cst.Subscript:
        return _is(node.value, name)
    if type(node) is cst.FormattedStringExpression:
        return _is(node.expression, name)
    if type(node) is cst.BinaryOperation and isinstance(node.operator, _STRING_OPERATORS):
        return _is(node.left, name) or _is(node.right, name)
    if type(node) is cst.Call and dotted(node.func) in _TYPE_CHECKS:
        return any(_is(arg.value, name) for arg in node.args)
    return False
