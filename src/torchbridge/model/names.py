"""Turning expressions into dotted names, and the names of the libraries we know."""

from __future__ import annotations

import libcst as cst

from .tree import children


def dotted(expr: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    parts: list[str] = []
    while type(expr) is cst.Attribute:
        parts.append(expr.attr.value)
        expr = expr.value
    if type(expr) is not cst.Name:
        return None
    parts.append(expr.value)
    return ".".join(reversed(parts))


def self_attribute(expr: cst.CSTNode) -> str | None:
    """``name`` for ``self.<name>``, else None (the spelling ``self``: what a method's first
    parameter is called by convention, which the callers check where it matters)."""
    if type(expr) is cst.Attribute and type(expr.value) is cst.Name and expr.value.value == "self":
        return expr.attr.value
    return None


def import_target(alias: cst.ImportAlias) -> str | None:
    return dotted(alias.name)


def bound_name(alias: cst.ImportAlias) -> str | None:
    """The local name an import alias binds (``import a.b`` binds ``a``)."""
    if alias.asname is not None:
        name = alias.asname.name
        return name.value if type(name) is cst.Name else None
    target = import_target(alias)
    return target.split(".")[0] if target else None


def imported_name(alias: cst.ImportAlias, module: str | None) -> tuple[str, str] | None:
    """The local name an import binds and the qualified name it stands for:
    ``import a.b`` -> (a, a); ``import a.b as c`` -> (c, a.b); ``from m import x as y`` -> (y, m.x)."""
    local, target = bound_name(alias), import_target(alias)
    if local is None or target is None:
        return None
    if module is None:
        return local, target if alias.asname is not None else local
    return local, f"{module}.{target}"


def string_value(node: cst.CSTNode) -> str | None:
    """The value of a plain (not f-, not bytes) string literal, else None."""
    if type(node) is cst.SimpleString:
        prefix = node.prefix.lower()
        if "b" in prefix or "f" in prefix:
            return None
        body = node.raw_value
        if "\r" not in body and ("\\" not in body or "r" in prefix):
            return body  # no escape to read (and no line end for the tokenizer to turn into "\n")
        try:
            value = node.evaluated_value
        except Exception:  # noqa: BLE001 - a malformed escape is simply not a literal we know
            return None
        return value if isinstance(value, str) else None
    return None


def identifier_words(expr: cst.CSTNode) -> list[str]:
    """Identifiers, keyword names and string values inside a small expression, lower-cased."""
    words: list[str] = []
    stack: list[cst.CSTNode] = [expr]
    while stack:
        node = stack.pop()
        if type(node) is cst.Name:
            words.append(node.value.lower())
            continue
        if type(node) is cst.SimpleString:  # the only node ``string_value`` reads: not called for the rest
            text = string_value(node)
            if text is not None:
                words.append(text.lower())
                continue
        elif type(node) is cst.Arg and node.keyword is not None:
            words.append(node.keyword.value.lower())
        stack.extend(children(node))
    return words


def callee_name(func: cst.BaseExpression) -> str | None:
    """The last name of a callee: ``skip`` for ``pytest.skip``, ``f`` for ``f``."""
    if type(func) is cst.Attribute:
        return func.attr.value
    if type(func) is cst.Name:
        return func.value
    return None


def first_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The first positional argument of ``call`` (not a ``*args``), or None."""
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return arg.value
    return None


def keyword_argument(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def names_in(expr: cst.CSTNode) -> set[str]:
    """The plain names an expression reads (not attribute names, not keyword names)."""
    found: set[str] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if type(node) is cst.Name:
            found.add(node.value)
        elif type(node) is cst.Attribute:
            stack.append(node.value)
        elif type(node) is cst.Lambda or type(node) is cst.FunctionDef or type(node) is cst.ClassDef:
            continue
        else:
            stack.extend(children(node))
    return found


def device_text(expr: cst.BaseExpression) -> str | None:
    """A device written out: ``'cuda:1'``, and ``torch.device('cuda', 1)`` read as its
    type string (``'cuda'``); None for anything else."""
    if type(expr) is cst.Call and callee_name(expr.func) == "device" and expr.args:
        return string_value(expr.args[0].value)
    return string_value(expr)


def device_argument(call: cst.Call) -> cst.BaseExpression | None:
    """Where ``x.to(...)`` sends ``x``: its ``device=`` or its first positional argument
    (which may also be a dtype)."""
    return keyword_argument(call, "device") or first_argument(call)


def literal_bool(expr: cst.BaseExpression) -> bool | None:
    """``True`` / ``False`` as written, else None (a flag only known at run time)."""
    if type(expr) is cst.Name and expr.value in ("True", "False"):
        return expr.value == "True"
    return None


def literal_int(expr: cst.BaseExpression | None) -> int | None:
    """An integer as written (``3``, ``-1``, ``0x10``), else None."""
    if type(expr) is cst.Integer:
        return int(expr.value, 0)
    if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
        inner = literal_int(expr.expression)
        return -inner if inner is not None else None
    return None
