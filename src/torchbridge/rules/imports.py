"""The one way a fix names a module (``torch``, ``numpy``) and adds the import it needs.

It reuses the file's own alias (``th`` after ``import torch as th``), adds an import only
under a name nothing else in the module binds and nothing shadows where it is used, and
places new lines after the module's docstring, ``from __future__`` imports and leading
imports, never before them.
"""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass

import libcst as cst

from ..diagnostics.fix import NodeEdit, insert_line_after, insert_line_before
from ..model.names import dotted, imported_name
from ..model.semantic import SemanticModel

# How each module is imported when the file does not import it yet.
_NEW_IMPORTS = {"torch": ("torch", "import torch"), "numpy": ("np", "import numpy as np")}


@dataclass(frozen=True)
class ModuleLayout:
    first: cst.BaseStatement | None  # the first statement
    header_end: cst.SimpleStatementLine | None  # the last line of the leading docstring and imports
    header_imports: dict[str, frozenset[str]]  # local name -> what the leading imports bind it to
    bound: frozenset[str]  # every name the module's own body binds (imports included)


# One layout per model, that is per file, made on first use; it goes when its model does.
_LAYOUTS: weakref.WeakKeyDictionary[SemanticModel, ModuleLayout] = weakref.WeakKeyDictionary()


def layout(model: SemanticModel) -> ModuleLayout:
    found = _LAYOUTS.get(model)
    if found is None:
        found = _LAYOUTS[model] = _layout(model)
    return found


def _layout(model: SemanticModel) -> ModuleLayout:
    module = model.module
    statements = list(module.body) if module is not None else []
    header_end = None
    header_imports: dict[str, frozenset[str]] = {}
    for index, statement in enumerate(statements):
        if type(statement) is not cst.SimpleStatementLine:
            break
        if index == 0 and _is_docstring(statement):
            header_end = statement
            continue
        if not _only_imports(statement):
            break
        header_end = statement
        for small in statement.body:
            if type(small) is cst.Import or type(small) is cst.ImportFrom:  # all of them: _only_imports said so
                header_imports.update(_imported(small))
    return ModuleLayout(
        first=statements[0] if statements else None,
        header_end=header_end,
        header_imports=header_imports,
        bound=frozenset(model.module_bound_names()),
    )


def _is_docstring(statement: cst.SimpleStatementLine) -> bool:
    return (
        len(statement.body) == 1 and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _imported(small: cst.Import | cst.ImportFrom) -> dict[str, frozenset[str]]:
    found: dict[str, frozenset[str]] = {}
    if isinstance(small.names, cst.ImportStar):
        return found
    module = dotted(small.module) if type(small) is cst.ImportFrom and small.module and not small.relative else None
    if type(small) is cst.ImportFrom and module is None:
        return found  # a relative import: a local module
    for alias in small.names:
        named = imported_name(alias, module)
        if named is not None:
            found[named[0]] = frozenset({named[1]})
    return found


def new_line_after_header(model: SemanticModel, line: str) -> NodeEdit | None:
    """Insert ``line`` after the module's leading docstring and imports."""
    where = layout(model)
    if where.header_end is not None:
        return insert_line_after(where.header_end, line)
    if where.first is not None:
        return insert_line_before(where.first, line)
    return None


def later_import(model: SemanticModel, module: str) -> tuple[str, cst.BaseStatement] | None:
    """The name ``import <module>`` binds after the leading imports (after ``sys.path``
    set-up, or inside ``try: ... except ImportError``), and the statement a new line goes
    after (the end of that import's run of imports), when the code being walked comes after
    it and nothing assigns the name."""
    body: list[cst.BaseStatement] = list(model.module.body) if model.module is not None else []
    found: tuple[str, cst.BaseStatement] | None = None
    for statement in body:
        lines = statement.body.body if type(statement) is cst.Try else [statement]
        for line in lines:
            if type(line) is not cst.SimpleStatementLine:
                continue
            for small in line.body:
                if type(small) is cst.Import and not isinstance(small.names, cst.ImportStar):
                    for name, qualnames in _imported(small).items():
                        if qualnames == frozenset({module}):
                            found = (name, statement)
    if found is None or model.top_statement is None or model.top_statement not in body:
        return None
    name, after = found
    index = body.index(after)
    while index + 1 < len(body) and _only_imports(body[index + 1]):
        index += 1  # after the run of imports it belongs to, not between them
    if body.index(model.top_statement) <= index or model.module_assignment_count(name):
        return None  # used before the insertion point, or the name is also assigned
    return name, body[index]


def _only_imports(statement: cst.BaseStatement) -> bool:
    return type(statement) is cst.SimpleStatementLine and all(
        (type(small) is cst.Import or type(small) is cst.ImportFrom) for small in statement.body
    )


def module_reference(model: SemanticModel, module: str, *, in_header: bool = False) -> tuple[str, tuple[NodeEdit, ...]] | None:
    """A name for ``module`` (``"torch"``, ``"numpy"``) and the edits that import it if needed.

    With ``in_header`` the name is for a statement inserted after the leading imports, so it
    must be bound there; otherwise it is for the code at the model's current point. None
    when every usable name is taken or shadowed.
    """
    where = layout(model)
    wanted = frozenset({module})
    if in_header:
        for name, qualnames in where.header_imports.items():
            if qualnames == wanted:
                return name, ()
    else:
        candidates = sorted(where.bound | where.header_imports.keys())
        conventional = _NEW_IMPORTS.get(module, (module, ""))[0]
        for name in sorted(candidates, key=lambda n: n != conventional):
            binding = model.lookup(name)
            if binding is not None and binding.kind == "import" and binding.qualnames == wanted:
                return name, ()
    if module not in _NEW_IMPORTS:
        return None
    name, statement = _NEW_IMPORTS[module]
    if name in where.bound or name in where.header_imports:
        return None  # bound to something else (or imported only later in the module)
    if not in_header and model.lookup(name) is not None:
        return None  # shadowed where it would be used
    edit = _new_import(model, module, statement)
    return (name, (edit,)) if edit is not None else None


def _new_import(model: SemanticModel, module: str, statement: str) -> NodeEdit | None:
    """``import <module>`` where isort and Ruff's isort rules put it (their default
    profile): among the leading third-party imports, in order, plain imports before
    ``from`` imports; after the leading imports, with a blank line before it, when there
    are none."""
    leading = _leading_imports(model)
    third_party = [(key, line) for key, line in leading if key[0] == _THIRD_PARTY]
    new = (_THIRD_PARTY, 0, module.lower())
    later = next((line for key, line in third_party if key > new), None)
    if later is not None:
        return insert_line_before(later, statement)
    if third_party:
        return insert_line_after(third_party[-1][1], statement)
    # A section of its own: a blank line keeps it apart from the standard library's.
    where = layout(model)
    if where.header_end is not None and _only_imports(where.header_end):
        return insert_line_after(where.header_end, "\n" + statement)
    return new_line_after_header(model, statement)


_FUTURE, _STDLIB, _THIRD_PARTY, _LOCAL = range(4)


def _leading_imports(model: SemanticModel) -> list[tuple[tuple[int, int, str], cst.SimpleStatementLine]]:
    """The leading import lines, each with its sort key: (section, ``import`` 0 or
    ``from`` 1, module)."""
    where = layout(model)
    body = list(model.module.body) if model.module is not None else []
    found: list[tuple[tuple[int, int, str], cst.SimpleStatementLine]] = []
    for statement in body:
        if type(statement) is not cst.SimpleStatementLine:
            break
        if not _only_imports(statement):
            if _is_docstring(statement) and not found:
                continue
            break
        small = statement.body[0]
        if type(small) is cst.ImportFrom:
            if small.relative or small.module is None:
                key = (_LOCAL, 1, "")
            else:
                name = dotted(small.module) or ""
                key = (_section(name), 1, name.lower())
        else:
            name = dotted(cst.ensure_type(small, cst.Import).names[0].name) or ""
            key = (_section(name), 0, name.lower())
        found.append((key, statement))
        if statement is where.header_end:
            break
    return found


def _section(module: str) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return _FUTURE
    return _STDLIB if top in sys.stdlib_module_names else _THIRD_PARTY
