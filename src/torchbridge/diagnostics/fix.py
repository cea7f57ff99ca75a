"""What a rule attaches to a finding: a fix, as edits anchored on nodes, resolved to text.

A rule builds edits against the nodes it looks at (``replace(node, "as_tensor")``,
``insert_after(arg, ".copy()")``); the engine resolves them to text offsets once positions
are known, only for files with findings (``engine.resolve``). Edits are text, not trees:
whatever lies outside them (formatting, comments, newline style) stays byte for byte, and
two fixes that make the same edit (the same import, the same inserted statement) can be
applied together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import libcst as cst

from .contract import ContractEntry
from .edits import Edit, Fix, ProbeText, TextIndex, apply_edits, compatible, misplaced

__all__ = [
    "Anchor", "Edit", "Fix", "FixSpec", "Hole", "NodeEdit", "Probe", "ProbeText", "TextIndex", "apply_edits",
    "compatible", "misplaced",
]


@dataclass(frozen=True)
class Anchor:
    node: cst.CSTNode
    side: str  # "start", "end", or "next-line": the start of the line after the node ends


@dataclass(frozen=True)
class NodeEdit:
    start: Anchor
    end: Anchor
    content: str  # "\n" in it becomes the file's newline


def replace(node: cst.CSTNode, content: str) -> NodeEdit:
    return NodeEdit(Anchor(node, "start"), Anchor(node, "end"), content)


def insert_before(node: cst.CSTNode, content: str) -> NodeEdit:
    return NodeEdit(Anchor(node, "start"), Anchor(node, "start"), content)


def insert_after(node: cst.CSTNode, content: str) -> NodeEdit:
    return NodeEdit(Anchor(node, "end"), Anchor(node, "end"), content)


def replace_span(first: Anchor, last: Anchor, content: str) -> NodeEdit:
    return NodeEdit(first, last, content)


def insert_line_after(statement: cst.CSTNode, line: str) -> NodeEdit:
    """A new line after ``statement``'s last line (after its trailing comment)."""
    anchor = Anchor(statement, "next-line")
    return NodeEdit(anchor, anchor, line + "\n")


def insert_line_before(statement: cst.CSTNode, line: str) -> NodeEdit:
    """A new line where ``statement`` starts (a module-level statement starts its line)."""
    return insert_before(statement, line + "\n")


# In an edit's content: the indentation of the line the edit starts on.
INDENT = "\x00indent\x00"


def insert_statement_before(statement: cst.CSTNode, line: str) -> NodeEdit:
    """A new statement just before ``statement``, at its indentation, in any block."""
    return insert_before(statement, line + "\n" + INDENT)


@dataclass(frozen=True)
class Hole:
    """A part of the probed code the verifier replaces by generated inputs: ``role`` says
    what it may be ("array", "tensor", "receiver": a tensor or a module), ``facts`` what the
    model proved about it (kind, layout, grad, placement) as plain data."""

    node: cst.BaseExpression
    role: str
    facts: dict[str, Any]


@dataclass(frozen=True)
class Probe:
    """What the verifier runs for a fix: ``subject`` before and after the edits that fall
    inside it, with the holes filled by inputs, used as ``use`` says (``"{}"``: as it is;
    ``"torch.zeros(2).to({})"``: as a device), after ``prelude`` (module-level definitions
    the code relies on, such as an existing device variable). ``names`` maps the other free
    names to what they import (``{"th": "torch"}``)."""

    subject: cst.CSTNode
    holes: tuple[Hole, ...] = ()
    use: str = "{}"
    prelude: tuple[cst.CSTNode, ...] = ()
    names: tuple[tuple[str, str], ...] = ()

    def anchors(self) -> list[cst.CSTNode]:
        return [self.subject, *(h.node for h in self.holes), *self.prelude]


@dataclass(frozen=True)
class FixSpec:
    """A fix as a rule states it: the contract entry it meets, its edits, and what the
    verifier runs to prove it (None: not verifiable)."""

    entry: ContractEntry
    edits: tuple[NodeEdit, ...]
    title: str | None = None  # the entry's title unless given
    probe: Probe | None = None

    def anchors(self) -> list[cst.CSTNode]:
        nodes = [a.node for edit in self.edits for a in (edit.start, edit.end)]
        return nodes + (self.probe.anchors() if self.probe is not None else [])


# Expressions a trailer (``.copy()``) binds to as a whole, without parentheses. Not a tuple:
# its range excludes its parentheses, and ``a, b`` may have none.
_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.List, cst.Dict, cst.Set)


def needs_parentheses(expr: cst.BaseExpression) -> bool:
    """Whether a trailer (``.copy()``) appended to ``expr`` would bind to only part of it."""
    return not isinstance(expr, _ATOMS)


def append_method(expr: cst.BaseExpression, call: str) -> tuple[NodeEdit, ...]:
    """Edits that call ``call`` (``"copy()"``) on ``expr``, parenthesizing it when needed.

    A node's range excludes its own parentheses, so ``(a + b)`` is wrapped again:
    ``((a + b).copy())``, which is still right."""
    if not needs_parentheses(expr):
        return (insert_after(expr, f".{call}"),)
    return insert_before(expr, "("), insert_after(expr, f").{call}")


def wrap_call(expr: cst.BaseExpression, function: str) -> tuple[NodeEdit, ...]:
    """Edits that pass ``expr`` to ``function``: ``f(expr)``."""
    return insert_before(expr, f"{function}("), insert_after(expr, ")")
